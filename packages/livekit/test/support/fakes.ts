/**
 * Fake components for running a real LiveKit `AgentSession` without a LiveKit server (research §4,
 * recipe B): a real-time microphone that plays a script of tone (speech) and silence, an energy VAD,
 * a non-streaming TTS (so LiveKit wraps it in its StreamAdapter and double-counts its metrics), an
 * audio output that plays in real time, an LLM that reports token usage, and one that fails.
 * Only these components are fake: the session, its activity, scheduling, metrics and events are LiveKit's.
 */
import { ReadableStream, type ReadableStreamDefaultController } from 'node:stream/web';
import {
  APIConnectionError,
  type APIConnectOptions,
  DEFAULT_API_CONNECT_OPTIONS,
  llm,
  stt,
  tts,
  VAD,
  type VADEvent,
  VADEventType,
  VADStream,
  voice,
} from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';

const FRAME_MS = 20;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A stretch of the caller's microphone: a tone stands for speech. */
export interface Utterance {
  /** ms after the first frame */
  startMs: number;
  endMs: number;
}

/**
 * A microphone that pushes 20 ms frames in real time from `start()` until `stop()`: a 440 Hz tone
 * during the scripted utterances, silence otherwise (as a real room track keeps sending).
 */
export class ScriptedAudioInput extends voice.AudioInput {
  private readonly controller: ReadableStreamDefaultController<AudioFrame>;
  private running = false;
  private pump: Promise<void> | null = null;

  constructor(
    private readonly script: Utterance[],
    private readonly sampleRate = 16_000,
  ) {
    super();
    let controller!: ReadableStreamDefaultController<AudioFrame>;
    this.multiStream.addInputStream(
      new ReadableStream<AudioFrame>({
        start(c) {
          controller = c;
        },
      }),
    );
    this.controller = controller;
  }

  /** Starts the microphone; the script's times count from now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.pump = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.pump;
  }

  private async run(): Promise<void> {
    const samples = (this.sampleRate * FRAME_MS) / 1000;
    const t0 = performance.now();
    for (let i = 0; this.running; i++) {
      const at = i * FRAME_MS;
      const speaking = this.script.some((u) => at >= u.startMs && at < u.endMs);
      const data = new Int16Array(samples);
      if (speaking) {
        for (let s = 0; s < samples; s++) {
          data[s] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i * samples + s)) / this.sampleRate));
        }
      }
      try {
        this.controller.enqueue(new AudioFrame(data, this.sampleRate, 1, samples));
      } catch {
        return; // the session closed the stream
      }
      const wait = t0 + (i + 1) * FRAME_MS - performance.now();
      if (wait > 0) await sleep(wait);
    }
  }
}

/** An energy VAD: speech starts after 60 ms above the threshold and ends after 300 ms below it. */
export class EnergyVAD extends VAD {
  label = 'energy-vad';

  constructor(
    readonly minSpeechMs = 60,
    readonly minSilenceMs = 300,
  ) {
    super({ updateInterval: FRAME_MS });
  }

  stream(): VADStream {
    return new EnergyVADStream(this);
  }
}

class EnergyVADStream extends VADStream {
  constructor(private readonly energy: EnergyVAD) {
    super(energy);
    void this.run();
  }

  private async run(): Promise<void> {
    let speaking = false;
    let speechMs = 0;
    let silenceMs = 0;
    let samplesIndex = 0;
    let frames: AudioFrame[] = [];
    const event = (type: VADEventType, frame: AudioFrame, probability: number): VADEvent => ({
      type,
      samplesIndex,
      timestamp: Date.now(),
      speechDuration: speechMs,
      silenceDuration: silenceMs,
      frames: type === VADEventType.INFERENCE_DONE ? [frame] : frames,
      probability,
      inferenceDuration: 0,
      speaking,
      rawAccumulatedSilence: silenceMs,
      rawAccumulatedSpeech: speechMs,
    });
    try {
      while (true) {
        const { done, value } = await this.inputReader.read();
        if (done) break;
        if (typeof value === 'symbol') {
          speaking = false;
          speechMs = 0;
          silenceMs = 0;
          frames = [];
          continue;
        }
        const ms = (value.samplesPerChannel / value.sampleRate) * 1000;
        samplesIndex += value.samplesPerChannel;
        let sum = 0;
        for (const s of value.data) sum += s * s;
        const voiced = Math.sqrt(sum / value.data.length) > 500;
        if (voiced) {
          speechMs += ms;
          silenceMs = 0;
          frames.push(value);
        } else {
          silenceMs += ms;
          if (!speaking) speechMs = 0;
        }
        if (!this.sendVADEvent(event(VADEventType.INFERENCE_DONE, value, voiced ? 1 : 0))) return;
        if (!speaking && speechMs >= this.energy.minSpeechMs) {
          speaking = true;
          this.sendVADEvent(event(VADEventType.START_OF_SPEECH, value, 1));
        } else if (speaking && silenceMs >= this.energy.minSilenceMs) {
          speaking = false;
          this.sendVADEvent(event(VADEventType.END_OF_SPEECH, value, 0));
          speechMs = 0;
          frames = [];
        }
      }
    } catch {
      // the stream was closed under us: the session is shutting down
    }
  }
}

/**
 * A non-streaming TTS (LiveKit wraps it in `tts.StreamAdapter`): `msPerChar` of 24 kHz audio per
 * character after `ttfbMs`.
 */
export class ChunkedFakeTTS extends tts.TTS {
  label = 'fake-tts';

  constructor(
    readonly ttfbMs = 80,
    readonly msPerChar = 20,
  ) {
    super(24_000, 1, { streaming: false });
  }

  override get provider(): string {
    return 'fake';
  }

  override get model(): string {
    return 'fake-voice-1';
  }

  synthesize(text: string, connOptions?: APIConnectOptions, abortSignal?: AbortSignal): tts.ChunkedStream {
    return new FakeChunkedStream(this, text, connOptions, abortSignal);
  }

  stream(): tts.SynthesizeStream {
    throw new Error('ChunkedFakeTTS does not stream');
  }
}

class FakeChunkedStream extends tts.ChunkedStream {
  label = 'fake-tts.chunked';

  constructor(
    private readonly fake: ChunkedFakeTTS,
    text: string,
    connOptions?: APIConnectOptions,
    abortSignal?: AbortSignal,
  ) {
    super(text, fake, connOptions ?? DEFAULT_API_CONNECT_OPTIONS, abortSignal);
  }

  protected async run(): Promise<void> {
    await sleep(this.fake.ttfbMs);
    const requestId = `req_${Math.random().toString(36).slice(2)}`;
    const total = Math.max(1, Math.round((this.inputText.length * this.fake.msPerChar) / FRAME_MS));
    const samples = (24_000 * FRAME_MS) / 1000;
    for (let i = 0; i < total; i++) {
      this.queue.put({
        requestId,
        segmentId: requestId,
        frame: new AudioFrame(new Int16Array(samples), 24_000, 1, samples),
        final: i === total - 1,
      });
    }
  }
}

/**
 * Plays audio in real time: playback starts at the first frame of a segment and finishes once the
 * segment's duration has elapsed after `flush()`; `clearBuffer()` stops it at once (interrupted).
 */
export class RealtimeAudioOutput extends voice.AudioOutput {
  private segmentStart: number | null = null;
  private segmentMs = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor() {
    super(24_000);
  }

  override async captureFrame(frame: AudioFrame): Promise<void> {
    await super.captureFrame(frame);
    if (this.segmentStart === null) {
      this.segmentStart = Date.now();
      this.segmentMs = 0;
      this.onPlaybackStarted(this.segmentStart);
    }
    this.segmentMs += (frame.samplesPerChannel / frame.sampleRate) * 1000;
  }

  override flush(): void {
    super.flush();
    if (this.segmentStart === null) return;
    const start = this.segmentStart;
    const remaining = Math.max(0, start + this.segmentMs - Date.now());
    this.timer = setTimeout(() => this.finish(false), remaining);
  }

  clearBuffer(): void {
    if (this.segmentStart === null) return;
    if (this.timer) clearTimeout(this.timer);
    this.finish(true);
  }

  private finish(interrupted: boolean): void {
    if (this.segmentStart === null) return;
    const position = Math.min(this.segmentMs, Date.now() - this.segmentStart) / 1000;
    this.segmentStart = null;
    this.timer = null;
    this.onPlaybackFinished({ playbackPosition: position, interrupted });
  }
}

/** One scripted reply of {@link UsageLLM}. */
export interface ScriptedReply {
  /** The last chat item's text it answers (a tool output is JSON-encoded, as FakeLLM matches it). */
  input: string;
  content?: string;
  toolCalls?: { name: string; args: Record<string, unknown> }[];
  ttftMs?: number;
  durationMs?: number;
  promptTokens: number;
  completionTokens: number;
}

/** Like LiveKit's `voice.testing.FakeLLM`, plus a usage chunk so `llm_metrics` carry tokens. */
export class UsageLLM extends llm.LLM {
  private readonly replies = new Map<string, ScriptedReply>();

  constructor(replies: ScriptedReply[]) {
    super();
    for (const r of replies) this.replies.set(r.input, r);
  }

  label(): string {
    return 'usage-llm';
  }

  override get provider(): string {
    return 'fake';
  }

  override get model(): string {
    return 'fake-gpt';
  }

  chat({
    chatCtx,
    toolCtx,
    connOptions = DEFAULT_API_CONNECT_OPTIONS,
  }: {
    chatCtx: llm.ChatContext;
    toolCtx?: llm.ToolContext;
    connOptions?: APIConnectOptions;
  }): llm.LLMStream {
    return new UsageLLMStream(this, this.lookup(chatCtx), { chatCtx, toolCtx, connOptions });
  }

  private lookup(chatCtx: llm.ChatContext): ScriptedReply | undefined {
    const last = chatCtx.items[chatCtx.items.length - 1];
    if (!last) return undefined;
    if (last.type === 'message' && last.role === 'user') return this.replies.get(last.textContent ?? '');
    if (last.type === 'function_call_output') return this.replies.get(last.output);
    return undefined;
  }
}

class UsageLLMStream extends llm.LLMStream {
  constructor(
    owner: llm.LLM,
    private readonly reply: ScriptedReply | undefined,
    params: { chatCtx: llm.ChatContext; toolCtx?: llm.ToolContext; connOptions: APIConnectOptions },
  ) {
    super(owner, params);
  }

  protected async run(): Promise<void> {
    const r = this.reply;
    if (!r) return;
    const started = Date.now();
    await sleep(r.ttftMs ?? 0);
    const id = `chatcmpl_${Math.random().toString(36).slice(2)}`;
    const content = r.content ?? '';
    for (let i = 0; i < content.length; i += 4) {
      this.queue.put({ id, delta: { role: 'assistant', content: content.slice(i, i + 4) } });
    }
    if (r.toolCalls?.length) {
      const toolCalls = r.toolCalls.map((tc, i) =>
        llm.FunctionCall.create({ callId: `call_${id}_${i}`, name: tc.name, args: JSON.stringify(tc.args) }),
      );
      this.queue.put({ id, delta: { role: 'assistant', toolCalls } });
    }
    const rest = (r.durationMs ?? 0) - (Date.now() - started);
    if (rest > 0) await sleep(rest);
    this.queue.put({
      id,
      usage: {
        promptTokens: r.promptTokens,
        completionTokens: r.completionTokens,
        promptCachedTokens: 0,
        totalTokens: r.promptTokens + r.completionTokens,
      },
    });
  }
}

/** An LLM whose every request fails with a non-retryable connection error. */
export class FailingLLM extends llm.LLM {
  label(): string {
    return 'failing-llm';
  }

  chat({
    chatCtx,
    toolCtx,
    connOptions = DEFAULT_API_CONNECT_OPTIONS,
  }: {
    chatCtx: llm.ChatContext;
    toolCtx?: llm.ToolContext;
    connOptions?: APIConnectOptions;
  }): llm.LLMStream {
    return new FailingLLMStream(this, { chatCtx, toolCtx, connOptions });
  }
}

class FailingLLMStream extends llm.LLMStream {
  protected async run(): Promise<void> {
    await sleep(20);
    throw new APIConnectionError({ message: 'upstream LLM unavailable', options: { retryable: false } });
  }
}

/**
 * LiveKit's `FakeSTT` (scripted transcripts keyed to the first audio frame), plus the
 * `RECOGNITION_USAGE` event a real streaming STT sends, so the session reports `stt_metrics`:
 * after each final transcript, the audio of that utterance.
 */
export class UsageSTT extends stt.testing.FakeSTT {
  constructor(private readonly speeches: stt.testing.FakeUserSpeech[]) {
    super({ fakeUserSpeeches: speeches });
  }

  override get provider(): string {
    return 'fake';
  }

  override get model(): string {
    return 'fake-stt-1';
  }

  override stream(options?: { connOptions?: APIConnectOptions }): stt.testing.FakeRecognizeStream {
    const stream = new UsageRecognizeStream(this, this.speeches, options?.connOptions);
    this.streamCh.put(stream);
    return stream;
  }
}

class UsageRecognizeStream extends stt.testing.FakeRecognizeStream {
  private finals = 0;

  constructor(
    owner: stt.testing.FakeSTT,
    private readonly speeches: stt.testing.FakeUserSpeech[],
    connOptions?: APIConnectOptions,
  ) {
    super(owner, connOptions);
  }

  override sendFakeTranscript(transcript: string, isFinal = true): void {
    super.sendFakeTranscript(transcript, isFinal);
    if (!isFinal) return;
    const speech = this.speeches[this.finals++];
    if (!speech) return;
    this.queue.put({
      type: stt.SpeechEventType.RECOGNITION_USAGE,
      requestId: `stt_${this.finals}`,
      recognitionUsage: { audioDuration: (speech.endTime - speech.startTime) / 1000 },
    });
  }
}

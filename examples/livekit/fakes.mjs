// @ts-check
/**
 * Fake components for running a real LiveKit `AgentSession` without a LiveKit server (research §4,
 * recipe B): a real-time microphone that plays tone (speech) and silence, an energy VAD, STTs (one
 * scripted, one that listens), an LLM that reports token usage, one that fails, a non-streaming TTS
 * (so LiveKit wraps it in its StreamAdapter and double-counts its metrics) and an audio output that
 * plays in real time. Only these components are fake: the session, its activity, scheduling, metrics
 * and events are LiveKit's. Used by `packages/livekit/test` and by `npm run demo` (examples/demo).
 *
 * Latencies are numbers or functions returning one (sampled per request), so the demo can draw them
 * from distributions and change them while calls run.
 */
import { ReadableStream } from 'node:stream/web';
import {
  APIConnectionError,
  DEFAULT_API_CONNECT_OPTIONS,
  llm,
  stt,
  tts,
  VAD,
  VADEventType,
  VADStream,
  voice,
} from '@livekit/agents';
import { AudioFrame } from '@livekit/rtc-node';

/** @typedef {import('@livekit/agents').APIConnectOptions} APIConnectOptions */
/** @typedef {import('@livekit/agents').VADEvent} VADEvent */
/** @typedef {number | (() => number)} Latency ms, or a function sampling it per request */

const FRAME_MS = 20;
/** RMS above which a 16-bit frame counts as speech (the tone's is about 5 700, silence's 0). */
const VOICED_RMS = 500;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {Latency} latency */
const msOf = (latency) => Math.max(0, typeof latency === 'function' ? latency() : latency);

/** @param {AudioFrame} frame */
const frameMs = (frame) => (frame.samplesPerChannel / frame.sampleRate) * 1000;

/**
 * Whether a frame carries speech (energy above {@link VOICED_RMS}).
 * @param {AudioFrame} frame
 */
export function isVoiced(frame) {
  let sum = 0;
  for (const s of frame.data) sum += s * s;
  return frame.data.length > 0 && Math.sqrt(sum / frame.data.length) > VOICED_RMS;
}

/**
 * A stretch of the caller's microphone: a tone stands for speech.
 * @typedef {object} Utterance
 * @property {number} startMs ms after the first frame
 * @property {number} endMs
 */

/**
 * A microphone that pushes 20 ms frames in real time from `start()` until `stop()`: a 440 Hz tone
 * during the utterances, silence otherwise (as a real room track keeps sending). Utterances come from
 * the script given at construction and from {@link ScriptedAudioInput.say} while it runs.
 */
export class ScriptedAudioInput extends voice.AudioInput {
  /** @type {ReadableStreamDefaultController<AudioFrame>} */
  #controller;
  #running = false;
  /** @type {Promise<void> | null} */
  #pump = null;
  /** `performance.now()` of the first frame. */
  #t0 = 0;
  /** @type {Utterance[]} */
  #script;
  #sampleRate;

  /**
   * @param {Utterance[]} [script]
   * @param {number} [sampleRate]
   */
  constructor(script = [], sampleRate = 16_000) {
    super();
    this.#script = [...script];
    this.#sampleRate = sampleRate;
    /** @type {ReadableStreamDefaultController<AudioFrame> | undefined} */
    let controller;
    this.multiStream.addInputStream(
      new ReadableStream({
        start(c) {
          controller = c;
        },
      }),
    );
    this.#controller = /** @type {ReadableStreamDefaultController<AudioFrame>} */ (controller);
  }

  /** Starts the microphone; the script's times count from now. */
  start() {
    if (this.#running) return;
    this.#running = true;
    this.#t0 = performance.now();
    this.#pump = this.#run();
  }

  async stop() {
    this.#running = false;
    await this.#pump;
  }

  /**
   * Speaks for `durationMs`, starting at the next frame; resolves when the utterance has been played.
   * @param {number} durationMs
   */
  say(durationMs) {
    const startMs = Math.ceil((performance.now() - this.#t0) / FRAME_MS) * FRAME_MS;
    this.#script.push({ startMs, endMs: startMs + Math.max(FRAME_MS, durationMs) });
    // Drop what has been played, so the per-frame lookup stays short on a long call.
    this.#script = this.#script.filter((u) => u.endMs > startMs);
    return sleep(startMs + durationMs - (performance.now() - this.#t0));
  }

  async #run() {
    const samples = (this.#sampleRate * FRAME_MS) / 1000;
    for (let i = 0; this.#running; i++) {
      const at = i * FRAME_MS;
      const speaking = this.#script.some((u) => at >= u.startMs && at < u.endMs);
      const data = new Int16Array(samples);
      if (speaking) {
        for (let s = 0; s < samples; s++) {
          data[s] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (i * samples + s)) / this.#sampleRate));
        }
      }
      try {
        this.#controller.enqueue(new AudioFrame(data, this.#sampleRate, 1, samples));
      } catch {
        return; // the session closed the stream
      }
      const wait = this.#t0 + (i + 1) * FRAME_MS - performance.now();
      if (wait > 0) await sleep(wait);
    }
  }
}

/** An energy VAD: speech starts after `minSpeechMs` above the threshold and ends after `minSilenceMs` below it. */
export class EnergyVAD extends VAD {
  label = 'energy-vad';

  constructor(minSpeechMs = 60, minSilenceMs = 300) {
    super({ updateInterval: FRAME_MS });
    this.minSpeechMs = minSpeechMs;
    this.minSilenceMs = minSilenceMs;
  }

  /** @returns {VADStream} */
  stream() {
    return new EnergyVADStream(this);
  }
}

class EnergyVADStream extends VADStream {
  /** @type {EnergyVAD} */
  #energy;

  /** @param {EnergyVAD} energy */
  constructor(energy) {
    super(energy);
    this.#energy = energy;
    void this.#run();
  }

  async #run() {
    let speaking = false;
    let speechMs = 0;
    let silenceMs = 0;
    let samplesIndex = 0;
    /** @type {AudioFrame[]} */
    let frames = [];
    /**
     * @param {VADEventType} type
     * @param {AudioFrame} frame
     * @param {number} probability
     * @returns {VADEvent}
     */
    const event = (type, frame, probability) => ({
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
        const ms = frameMs(value);
        samplesIndex += value.samplesPerChannel;
        const voiced = isVoiced(value);
        if (voiced) {
          speechMs += ms;
          silenceMs = 0;
          frames.push(value);
        } else {
          silenceMs += ms;
          if (!speaking) speechMs = 0;
        }
        if (!this.sendVADEvent(event(VADEventType.INFERENCE_DONE, value, voiced ? 1 : 0))) return;
        if (!speaking && speechMs >= this.#energy.minSpeechMs) {
          speaking = true;
          this.sendVADEvent(event(VADEventType.START_OF_SPEECH, value, 1));
        } else if (speaking && silenceMs >= this.#energy.minSilenceMs) {
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
 * The `RECOGNITION_USAGE` event a real streaming STT sends, so the session reports `stt_metrics`.
 * @param {string} requestId
 * @param {number} audioMs
 * @returns {import('@livekit/agents').stt.SpeechEvent}
 */
function recognitionUsage(requestId, audioMs) {
  return {
    type: stt.SpeechEventType.RECOGNITION_USAGE,
    requestId,
    recognitionUsage: { audioDuration: audioMs / 1000 },
  };
}

/**
 * LiveKit's `FakeSTT` (scripted transcripts keyed to the first audio frame), plus the
 * `RECOGNITION_USAGE` event a real streaming STT sends: after each final transcript, the audio of
 * that utterance.
 */
export class UsageSTT extends stt.testing.FakeSTT {
  /** @type {stt.testing.FakeUserSpeech[]} */
  #speeches;

  /** @param {stt.testing.FakeUserSpeech[]} speeches */
  constructor(speeches) {
    super({ fakeUserSpeeches: speeches });
    this.#speeches = speeches;
  }

  /** @override */
  get provider() {
    return 'fake';
  }

  /** @override */
  get model() {
    return 'fake-stt-1';
  }

  /**
   * @override
   * @param {{ connOptions?: APIConnectOptions }} [options]
   */
  stream(options) {
    const stream = new UsageRecognizeStream(this, this.#speeches, options?.connOptions);
    this.streamCh.put(stream);
    return stream;
  }
}

class UsageRecognizeStream extends stt.testing.FakeRecognizeStream {
  #finals = 0;
  /** @type {stt.testing.FakeUserSpeech[]} */
  #speeches;

  /**
   * @param {stt.testing.FakeSTT} owner
   * @param {stt.testing.FakeUserSpeech[]} speeches
   * @param {APIConnectOptions} [connOptions]
   */
  constructor(owner, speeches, connOptions) {
    super(owner, connOptions);
    this.#speeches = speeches;
  }

  /**
   * @override
   * @param {string} transcript
   * @param {boolean} [isFinal]
   */
  sendFakeTranscript(transcript, isFinal = true) {
    super.sendFakeTranscript(transcript, isFinal);
    if (!isFinal) return;
    const speech = this.#speeches[this.#finals++];
    if (!speech) return;
    this.queue.put(recognitionUsage(`stt_${this.#finals}`, speech.endTime - speech.startTime));
  }
}

/**
 * What {@link ListeningSTT} makes of an utterance that just ended: its transcript after `delayMs`,
 * or `null` for none (an STT that hears nothing).
 * @typedef {{ transcript: string, delayMs: number } | null} Hearing
 */

/**
 * A streaming STT that listens: it finds the end of each utterance in the audio itself (the first
 * silent frame after speech), asks `hear(audioMs)` what was said, and sends an interim transcript
 * halfway through the delay, then the final one and its usage. For callers whose timing is not
 * scripted ahead (they answer the agent), where `UsageSTT`'s timeline cannot be.
 */
export class ListeningSTT extends stt.testing.FakeSTT {
  /** @param {(audioMs: number) => Hearing} hear */
  constructor(hear) {
    super();
    this.hear = hear;
  }

  /** @override */
  get provider() {
    return 'fake';
  }

  /** @override */
  get model() {
    return 'fake-stt-1';
  }

  /**
   * @override
   * @param {{ connOptions?: APIConnectOptions }} [options]
   */
  stream(options) {
    const stream = new ListeningRecognizeStream(this, options?.connOptions);
    this.streamCh.put(stream);
    return stream;
  }
}

class ListeningRecognizeStream extends stt.testing.FakeRecognizeStream {
  /** @type {ListeningSTT} */
  #owner;
  #requests = 0;

  /**
   * @param {ListeningSTT} owner
   * @param {APIConnectOptions} [connOptions]
   */
  constructor(owner, connOptions) {
    super(owner, connOptions);
    this.#owner = owner;
  }

  /** @override */
  async run() {
    let speechMs = 0;
    for await (const data of this.input) {
      if (typeof data === 'symbol') continue;
      if (isVoiced(data)) speechMs += frameMs(data);
      else if (speechMs > 0) {
        this.#transcribe(speechMs);
        speechMs = 0;
      }
    }
  }

  /** @param {number} audioMs */
  #transcribe(audioMs) {
    const heard = this.#owner.hear(audioMs);
    if (!heard) return;
    const requestId = `stt_${++this.#requests}`;
    const signal = this.abortSignal;
    const at = (/** @type {number} */ ms, /** @type {() => void} */ fn) => {
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', cancel);
        if (signal.aborted || this.queue.closed) return;
        fn();
      }, ms);
      const cancel = () => clearTimeout(timer);
      signal.addEventListener('abort', cancel, { once: true });
    };
    const interim = heard.transcript.split(/\s+/).slice(0, 2).join(' ');
    at(heard.delayMs / 2, () => this.sendFakeTranscript(interim, false));
    at(heard.delayMs, () => {
      this.sendFakeTranscript(heard.transcript, true);
      this.queue.put(recognitionUsage(requestId, audioMs));
    });
  }
}

/**
 * A non-streaming TTS (LiveKit wraps it in `tts.StreamAdapter`): `msPerChar` of 24 kHz audio per
 * character after `ttfbMs`. `fail()` returning an error makes that request fail with it.
 */
export class ChunkedFakeTTS extends tts.TTS {
  label = 'fake-tts';

  /** @param {{ ttfbMs?: Latency, msPerChar?: number, fail?: () => Error | null }} [options] */
  constructor({ ttfbMs = 80, msPerChar = 20, fail = () => null } = {}) {
    super(24_000, 1, { streaming: false });
    this.ttfbMs = ttfbMs;
    this.msPerChar = msPerChar;
    this.fail = fail;
  }

  /** @override */
  get provider() {
    return 'fake';
  }

  /** @override */
  get model() {
    return 'fake-voice-1';
  }

  /**
   * @param {string} text
   * @param {APIConnectOptions} [connOptions]
   * @param {AbortSignal} [abortSignal]
   */
  synthesize(text, connOptions, abortSignal) {
    return new FakeChunkedStream(this, text, connOptions, abortSignal);
  }

  /** @returns {tts.SynthesizeStream} */
  stream() {
    throw new Error('ChunkedFakeTTS does not stream');
  }
}

class FakeChunkedStream extends tts.ChunkedStream {
  label = 'fake-tts.chunked';
  /** @type {ChunkedFakeTTS} */
  #fake;

  /**
   * @param {ChunkedFakeTTS} fake
   * @param {string} text
   * @param {APIConnectOptions} [connOptions]
   * @param {AbortSignal} [abortSignal]
   */
  constructor(fake, text, connOptions, abortSignal) {
    super(text, fake, connOptions ?? DEFAULT_API_CONNECT_OPTIONS, abortSignal);
    this.#fake = fake;
  }

  /** @override */
  async run() {
    await sleep(msOf(this.#fake.ttfbMs));
    const error = this.#fake.fail();
    if (error) throw error;
    const requestId = `req_${Math.random().toString(36).slice(2)}`;
    const total = Math.max(1, Math.round((this.inputText.length * this.#fake.msPerChar) / FRAME_MS));
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
 * With `pausable`, it can pause and resume (what LiveKit needs to resume after a false interruption):
 * a pause stops the clock of the segment.
 */
export class RealtimeAudioOutput extends voice.AudioOutput {
  /** @type {number | null} */
  #segmentStart = null;
  #segmentMs = 0;
  #flushed = false;
  /** @type {number | null} */
  #pausedAt = null;
  /** @type {NodeJS.Timeout | null} */
  #timer = null;

  /** @param {{ pausable?: boolean }} [options] */
  constructor({ pausable = false } = {}) {
    super(24_000, undefined, { pause: pausable });
  }

  /**
   * @override
   * @param {AudioFrame} frame
   */
  async captureFrame(frame) {
    await super.captureFrame(frame);
    if (this.#segmentStart === null) {
      this.#segmentStart = Date.now();
      this.#segmentMs = 0;
      this.#flushed = false;
      this.onPlaybackStarted(this.#segmentStart);
    }
    this.#segmentMs += frameMs(frame);
  }

  /** @override */
  flush() {
    super.flush();
    if (this.#segmentStart === null) return;
    this.#flushed = true;
    this.#schedule();
  }

  clearBuffer() {
    if (this.#segmentStart === null) return;
    this.#finish(true);
  }

  /** @override */
  pause() {
    if (this.#pausedAt !== null) return;
    this.#pausedAt = Date.now();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** @override */
  resume() {
    if (this.#pausedAt === null) return;
    // The segment's clock stood still while paused.
    if (this.#segmentStart !== null) this.#segmentStart += Date.now() - this.#pausedAt;
    this.#pausedAt = null;
    this.#schedule();
  }

  #schedule() {
    if (this.#segmentStart === null || !this.#flushed || this.#pausedAt !== null) return;
    if (this.#timer) clearTimeout(this.#timer);
    const remaining = Math.max(0, this.#segmentStart + this.#segmentMs - Date.now());
    this.#timer = setTimeout(() => this.#finish(false), remaining);
  }

  /** @param {boolean} interrupted */
  #finish(interrupted) {
    if (this.#segmentStart === null) return;
    if (this.#timer) clearTimeout(this.#timer);
    const now = this.#pausedAt ?? Date.now();
    const position = Math.min(this.#segmentMs, now - this.#segmentStart) / 1000;
    this.#segmentStart = null;
    this.#timer = null;
    this.#pausedAt = null;
    this.onPlaybackFinished({ playbackPosition: position, interrupted });
  }
}

/**
 * One scripted reply of {@link UsageLLM}.
 * @typedef {object} ScriptedReply
 * @property {string} input The last chat item's text it answers (a tool output is JSON-encoded, as FakeLLM matches it).
 * @property {string} [content]
 * @property {{ name: string, args: Record<string, unknown> }[]} [toolCalls]
 * @property {Latency} [ttftMs]
 * @property {Latency} [durationMs]
 * @property {number} promptTokens
 * @property {number} completionTokens
 */

/**
 * The reply to the last chat item: `text` is the user's words or a tool's output (JSON-encoded).
 * @typedef {(last: { kind: 'user' | 'tool_output', text: string }) => ScriptedReply | undefined} ReplyFor
 */

/**
 * Like LiveKit's `voice.testing.FakeLLM`, plus a usage chunk so `llm_metrics` carry tokens. Replies
 * are a script matched on the last chat item, or a function choosing one per request.
 */
export class UsageLLM extends llm.LLM {
  /** @type {ReplyFor} */
  #replyFor;

  /** @param {ScriptedReply[] | ReplyFor} replies */
  constructor(replies) {
    super();
    if (typeof replies === 'function') this.#replyFor = replies;
    else {
      const byInput = new Map(replies.map((r) => [r.input, r]));
      this.#replyFor = ({ text }) => byInput.get(text);
    }
  }

  label() {
    return 'usage-llm';
  }

  /** @override */
  get provider() {
    return 'fake';
  }

  /** @override */
  get model() {
    return 'fake-gpt';
  }

  /**
   * @param {{ chatCtx: llm.ChatContext, toolCtx?: llm.ToolContext, connOptions?: APIConnectOptions }} params
   * @returns {llm.LLMStream}
   */
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }) {
    return new UsageLLMStream(this, this.#lookup(chatCtx), { chatCtx, toolCtx, connOptions });
  }

  /** @param {llm.ChatContext} chatCtx */
  #lookup(chatCtx) {
    const last = chatCtx.items[chatCtx.items.length - 1];
    if (!last) return undefined;
    if (last.type === 'message' && last.role === 'user')
      return this.#replyFor({ kind: 'user', text: last.textContent ?? '' });
    if (last.type === 'function_call_output')
      return this.#replyFor({ kind: 'tool_output', text: last.output });
    return undefined;
  }
}

class UsageLLMStream extends llm.LLMStream {
  /** @type {ScriptedReply | undefined} */
  #reply;

  /**
   * @param {llm.LLM} owner
   * @param {ScriptedReply | undefined} reply
   * @param {{ chatCtx: llm.ChatContext, toolCtx?: llm.ToolContext, connOptions: APIConnectOptions }} params
   */
  constructor(owner, reply, params) {
    super(owner, params);
    this.#reply = reply;
  }

  /** @override */
  async run() {
    const r = this.#reply;
    if (!r) return;
    const started = Date.now();
    await sleep(msOf(r.ttftMs ?? 0));
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
    const rest = msOf(r.durationMs ?? 0) - (Date.now() - started);
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
  label() {
    return 'failing-llm';
  }

  /**
   * @param {{ chatCtx: llm.ChatContext, toolCtx?: llm.ToolContext, connOptions?: APIConnectOptions }} params
   * @returns {llm.LLMStream}
   */
  chat({ chatCtx, toolCtx, connOptions = DEFAULT_API_CONNECT_OPTIONS }) {
    return new FailingLLMStream(this, { chatCtx, toolCtx, connOptions });
  }
}

class FailingLLMStream extends llm.LLMStream {
  /** @override */
  async run() {
    await sleep(20);
    throw new APIConnectionError({ message: 'upstream LLM unavailable', options: { retryable: false } });
  }
}

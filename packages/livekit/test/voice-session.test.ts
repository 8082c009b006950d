/**
 * A real LiveKit `AgentSession` (no LiveKit server): real-time audio in and out, an energy VAD, a
 * scripted STT, an LLM with token usage and a tool, a non-streaming TTS. Three user turns, the second
 * with a tool call. The trace is compared with what LiveKit itself reported for the same session.
 */
import {
  Agent,
  type AgentEvent,
  AgentSession,
  AgentSessionEventTypes,
  createMetricsCollectedEvent,
  type InterruptionMetrics,
  initializeLogger,
  llm,
} from '@livekit/agents';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { instrumentAgentSession } from '@voxtrace/livekit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ChunkedFakeTTS,
  EnergyVAD,
  RealtimeAudioOutput,
  ScriptedAudioInput,
  UsageLLM,
  UsageSTT,
} from '../../../examples/livekit/fakes.mjs';
import { unknownGenAiKeys } from '../../../test/helpers/semconv.js';
import {
  durationMs,
  type LiveKitRecord,
  ms,
  recordLiveKit,
  SpanTree,
  testVoxtrace,
} from './support/harness.js';

type OverlappingSpeechEvent = Extract<AgentEvent, { type: 'overlapping_speech' }>;

const SPEECHES = [
  { startTime: 200, endTime: 800, transcript: 'hello there', sttDelay: 150 },
  { startTime: 3000, endTime: 3700, transcript: 'what is the weather in Paris', sttDelay: 180 },
  { startTime: 6800, endTime: 7300, transcript: 'thanks bye', sttDelay: 120 },
];
const REPLIES = [
  {
    input: 'hello there',
    content: 'Hi! How can I help?',
    ttftMs: 150,
    durationMs: 250,
    promptTokens: 20,
    completionTokens: 7,
  },
  {
    input: 'what is the weather in Paris',
    toolCalls: [{ name: 'get_weather', args: { city: 'Paris' } }],
    ttftMs: 100,
    durationMs: 150,
    promptTokens: 30,
    completionTokens: 9,
  },
  {
    input: '"sunny, 21C"',
    content: 'It is sunny and 21C in Paris.',
    ttftMs: 120,
    durationMs: 200,
    promptTokens: 45,
    completionTokens: 10,
  },
  {
    input: 'thanks bye',
    // Two sentences for LiveKit's tokenizer: two inner TTS requests behind one StreamAdapter report.
    content: 'Goodbye! Have a nice day. See you soon, friend.',
    ttftMs: 100,
    durationMs: 150,
    promptTokens: 60,
    completionTokens: 8,
  },
];

describe('a voice AgentSession with three turns and a tool call', () => {
  const { vt, exporter, diagnostics } = testVoxtrace();
  let lk: LiveKitRecord;
  let tree: SpanTree;
  let turns: ReadableSpan[];

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'silent' });
    const input = new ScriptedAudioInput(SPEECHES.map((s) => ({ startMs: s.startTime, endMs: s.endTime })));
    const session = new AgentSession({
      stt: new UsageSTT(SPEECHES),
      vad: new EnergyVAD(),
      llm: new UsageLLM(REPLIES),
      tts: new ChunkedFakeTTS(),
      turnHandling: { turnDetection: 'vad', endpointing: { minDelay: 300, maxDelay: 1500 } },
      userAwayTimeout: null,
    });
    session.input.audio = input;
    session.output.audio = new RealtimeAudioOutput();
    lk = recordLiveKit(session);
    instrumentAgentSession(session, vt, { conversationId: 'lk-voice-1' });

    const getWeather = llm.tool({
      description: 'Current weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async () => {
        await new Promise((resolve) => setTimeout(resolve, 120));
        return 'sunny, 21C';
      },
    });
    await session.start({ agent: new Agent({ instructions: 'test', tools: { get_weather: getWeather } }) });
    input.start();
    await lk.replies(3);
    await input.stop();
    await session.close();
    tree = new SpanTree(exporter.getFinishedSpans());
    turns = tree.turns();
  }, 60_000);

  afterAll(() => vt.shutdown());

  it('makes one conversation trace: conversation → three user turns → their components', () => {
    const conversation = tree.one('conversation');
    expect(conversation.parentSpanContext?.isRemote ?? true).toBe(true);
    expect(tree.children(conversation).map((s) => s.name)).toEqual(['turn', 'turn', 'turn']);
    expect(turns.map((t) => t.attributes['turn.initiator'])).toEqual(['user', 'user', 'user']);
    const names = turns.map((t) => tree.children(t).map((s) => s.name));
    expect(names[0]).toEqual(['stt', 'turn_detection', 'llm', 'tts']);
    expect(names[1]).toEqual(['stt', 'turn_detection', 'llm', 'tool_call', 'llm', 'tts']);
    expect(names[2]).toEqual(['stt', 'turn_detection', 'llm', 'tts']);
    for (const s of exporter.getFinishedSpans())
      expect(s.spanContext().traceId).toBe(conversation.spanContext().traceId);
    expect(conversation.attributes['voice.call.outcome']).toBe('completed');
    expect(conversation.attributes['voice.turn.count']).toBe(3);
    expect(conversation.attributes['livekit.close.reason']).toBe('user_initiated');
  });

  it("gives each turn LiveKit's own e2eLatency (±5 ms), and attaches LiveKit's figure", () => {
    expect(lk.assistant).toHaveLength(3);
    lk.assistant.forEach((message, i) => {
      const livekitMs = message.metrics.e2eLatency! * 1000;
      expect(livekitMs).toBeGreaterThan(0);
      expect(Math.abs(Number(turns[i]!.attributes['turn.e2e_latency_ms']) - livekitMs)).toBeLessThanOrEqual(
        5,
      );
      expect(turns[i]!.attributes['livekit.e2e_latency_ms']).toBeCloseTo(livekitMs, 3);
    });
  });

  it('times speech from the messages: user end = stoppedSpeakingAt, agent start = startedSpeakingAt', () => {
    lk.user.forEach((message, i) => {
      const detection = tree.children(turns[i]!, 'turn_detection')[0]!;
      expect(ms(detection.startTime)).toBe(Math.round(message.metrics.stoppedSpeakingAt! * 1000));
      expect(durationMs(detection)).toBeCloseTo(message.metrics.endOfTurnDelay! * 1000, 3);
      const stt = tree.children(turns[i]!, 'stt')[0]!;
      expect(stt.attributes['component.latency_ms']).toBeCloseTo(
        message.metrics.transcriptionDelay! * 1000,
        3,
      );
    });
  });

  it('makes a tool_call span with the call id, arguments, result and the duration of the tool', () => {
    const [call, output] = [lk.tools[0]!.functionCalls[0]!, lk.tools[0]!.functionCallOutputs[0]!];
    const tool = tree.children(turns[1]!, 'tool_call')[0]!;
    expect(tool.attributes['gen_ai.tool.name']).toBe('get_weather');
    expect(tool.attributes['gen_ai.tool.call.id']).toBe(call.callId);
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('{"city":"Paris"}');
    expect(tool.attributes['gen_ai.tool.call.result']).toBe('sunny, 21C');
    expect(ms(tool.startTime)).toBe(call.createdAt);
    expect(durationMs(tool)).toBe(output.createdAt - call.createdAt);
    expect(durationMs(tool)).toBeGreaterThan(0);
  });

  it('reports the tokens of every LLM call', () => {
    const tokens = turns.flatMap((t) =>
      tree
        .children(t, 'llm')
        .map((s) => [s.attributes['gen_ai.usage.input_tokens'], s.attributes['gen_ai.usage.output_tokens']]),
    );
    expect(tokens).toEqual(REPLIES.map((r) => [r.promptTokens, r.completionTokens]));
    for (const s of tree.named('llm')) expect(s.attributes['gen_ai.request.model']).toBe('fake-gpt');
    // The total has no GenAI name: voxtrace's own. Every gen_ai.* name is OpenTelemetry's.
    expect(tree.named('llm').map((s) => s.attributes['voice.llm.usage.total_tokens'])).toEqual(
      REPLIES.map((r) => r.promptTokens + r.completionTokens),
    );
    expect(unknownGenAiKeys(exporter.getFinishedSpans().map((s) => s.attributes))).toEqual([]);
  });

  it('counts TTS characters once, although LiveKit reported them twice', () => {
    const spoken = lk.assistant.reduce((sum, m) => sum + (m.textContent ?? '').length, 0);
    const reported = (streamed: boolean) =>
      lk.tts.filter((m) => m.streamed === streamed).reduce((sum, m) => sum + m.charactersCount, 0);
    // LiveKit reports every character twice: once per segment, again per sentence (minus the spaces between).
    expect(reported(true)).toBe(spoken);
    expect(reported(false)).toBeGreaterThan(0.9 * spoken);
    // The last reply's inner reports have their own request ids: pairing by request id would miss one.
    const lastSpeech = lk.tts.filter((m) => m.speechId === lk.tts.at(-1)!.speechId && !m.streamed);
    expect(new Set(lastSpeech.map((m) => m.requestId)).size).toBe(2);
    turns.forEach((t, i) => {
      const chars = tree
        .children(t, 'tts')
        .reduce((sum, s) => sum + Number(s.attributes['tts.characters']), 0);
      expect(chars).toBe(lk.assistant[i]!.textContent!.length);
    });
  });

  it('attributes the STT audio usage to its turn', () => {
    turns.forEach((t, i) => {
      const stt = tree.children(t, 'stt')[0]!;
      expect(stt.attributes['stt.audio_duration_ms']).toBe(SPEECHES[i]!.endTime - SPEECHES[i]!.startTime);
      expect(stt.attributes['stt.transcript']).toBe(SPEECHES[i]!.transcript);
      expect(stt.attributes['component.model']).toBe('fake-stt-1');
    });
  });

  it('left nothing late, invalid or broken', () => {
    expect(diagnostics).toEqual([]);
  });
});

describe('a caller who barges in while the agent speaks', () => {
  const SPEECHES_B = [
    { startTime: 200, endTime: 800, transcript: 'tell me a story', sttDelay: 150 },
    { startTime: 2000, endTime: 2900, transcript: 'stop please', sttDelay: 150 },
  ];
  const STORY = 'Once upon a time there was a voice agent that talked for a very long while.';
  const { vt, exporter, diagnostics } = testVoxtrace();
  const order: string[] = [];
  let lk: LiveKitRecord;
  let tree: SpanTree;

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'silent' });
    const input = new ScriptedAudioInput(SPEECHES_B.map((s) => ({ startMs: s.startTime, endMs: s.endTime })));
    const session = new AgentSession({
      stt: new UsageSTT(SPEECHES_B),
      vad: new EnergyVAD(),
      llm: new UsageLLM([
        {
          input: 'tell me a story',
          content: STORY,
          ttftMs: 100,
          durationMs: 150,
          promptTokens: 10,
          completionTokens: 20,
        },
        {
          input: 'stop please',
          content: 'Okay.',
          ttftMs: 100,
          durationMs: 150,
          promptTokens: 40,
          completionTokens: 2,
        },
      ]),
      // 40 ms of audio per character: the story plays for about 3 s.
      tts: new ChunkedFakeTTS({ ttfbMs: 80, msPerChar: 40 }),
      turnHandling: {
        turnDetection: 'vad',
        endpointing: { minDelay: 300, maxDelay: 1500 },
        interruption: { mode: 'vad', minDuration: 300 },
      },
      aecWarmupDuration: null,
      userAwayTimeout: null,
    });
    session.input.audio = input;
    session.output.audio = new RealtimeAudioOutput();
    lk = recordLiveKit(session);
    session.on(AgentSessionEventTypes.UserStateChanged, (ev) => {
      if (ev.newState === 'speaking') order.push('user speaking');
    });
    session.on(AgentSessionEventTypes.ConversationItemAdded, (ev) => {
      if (ev.item.type === 'message' && ev.item.role === 'assistant') order.push('assistant message');
    });
    instrumentAgentSession(session, vt, { conversationId: 'lk-barge-in' });
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    input.start();
    await lk.replies(2);
    await input.stop();
    await session.close();
    tree = new SpanTree(exporter.getFinishedSpans());
  }, 60_000);

  afterAll(() => vt.shutdown());

  it('marks the interrupted turn, ends its agent speech where LiveKit stopped it, and opens a new turn', () => {
    expect(lk.assistant.map((m) => m.interrupted)).toEqual([true, false]);
    // The interrupted reply's message (its exact speech times) arrives after the next turn began.
    expect(order).toEqual(['user speaking', 'user speaking', 'assistant message', 'assistant message']);
    const turns = tree.turns();
    expect(turns).toHaveLength(2);
    expect(turns.map((t) => t.attributes['turn.interrupted'])).toEqual([true, false]);
    expect(tree.one('conversation').attributes['voice.call.interruptions']).toBe(1);
    lk.assistant.forEach((message, i) => {
      const livekitMs = message.metrics.e2eLatency! * 1000;
      expect(Math.abs(Number(turns[i]!.attributes['turn.e2e_latency_ms']) - livekitMs)).toBeLessThanOrEqual(
        5,
      );
    });
    // The interrupted reply's TTS is still one span per segment, counted once.
    const chars = tree
      .children(turns[0]!, 'tts')
      .reduce((n, s) => n + Number(s.attributes['tts.characters']), 0);
    expect(chars).toBe(STORY.length);
    expect(diagnostics).toEqual([]);
  });
});

describe('a noise LiveKit calls a false interruption: the agent pauses, hears no words, resumes', () => {
  const SPEECHES_F = [
    { startTime: 200, endTime: 800, transcript: 'tell me a story', sttDelay: 150 },
    { startTime: 7000, endTime: 7500, transcript: 'thanks bye', sttDelay: 120 },
  ];
  // The caller coughs over the story: speech to the VAD, no words to the STT.
  const NOISE = { startMs: 2000, endMs: 2500 };
  const STORY = 'Once upon a time there was a voice agent that talked for a very long while.';
  const { vt, exporter, diagnostics } = testVoxtrace();
  const seen: string[] = [];
  const falseInterruptions: { resumed: boolean }[] = [];
  let lk: LiveKitRecord;
  let tree: SpanTree;

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'silent' });
    const input = new ScriptedAudioInput([
      ...SPEECHES_F.map((s) => ({ startMs: s.startTime, endMs: s.endTime })),
      NOISE,
    ]);
    const session = new AgentSession({
      stt: new UsageSTT(SPEECHES_F),
      vad: new EnergyVAD(),
      llm: new UsageLLM([
        {
          input: 'tell me a story',
          content: STORY,
          ttftMs: 100,
          durationMs: 150,
          promptTokens: 10,
          completionTokens: 20,
        },
        {
          input: 'thanks bye',
          content: 'Goodbye.',
          ttftMs: 100,
          durationMs: 150,
          promptTokens: 40,
          completionTokens: 2,
        },
      ]),
      tts: new ChunkedFakeTTS({ ttfbMs: 80, msPerChar: 40 }),
      turnHandling: {
        turnDetection: 'vad',
        endpointing: { minDelay: 300, maxDelay: 1500 },
        interruption: {
          mode: 'vad',
          minDuration: 300,
          falseInterruptionTimeout: 800,
          resumeFalseInterruption: true,
        },
      },
      aecWarmupDuration: null,
      userAwayTimeout: null,
    });
    session.input.audio = input;
    session.output.audio = new RealtimeAudioOutput({ pausable: true });
    lk = recordLiveKit(session);
    session.on(AgentSessionEventTypes.UserStateChanged, (ev) => seen.push(`user ${ev.newState}`));
    session.on(AgentSessionEventTypes.AgentStateChanged, (ev) => seen.push(`agent ${ev.newState}`));
    session.on(AgentSessionEventTypes.AgentFalseInterruption, (ev) => {
      seen.push('false interruption');
      falseInterruptions.push({ resumed: ev.resumed });
    });
    instrumentAgentSession(session, vt, { conversationId: 'lk-false-interruption' });
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    input.start();
    await lk.replies(2);
    await input.stop();
    await session.close();
    tree = new SpanTree(exporter.getFinishedSpans());
  }, 60_000);

  afterAll(() => vt.shutdown());

  it('LiveKit paused the story for the noise and resumed it, uninterrupted', () => {
    expect(falseInterruptions).toEqual([{ resumed: true }]);
    // The agent stopped speaking for the noise and spoke again: a real pause and resume.
    const story = seen.slice(seen.indexOf('agent speaking'), seen.indexOf('false interruption') + 1);
    expect(story).toEqual(
      expect.arrayContaining(['user speaking', 'agent listening', 'agent speaking', 'false interruption']),
    );
    expect(lk.assistant.map((m) => m.interrupted)).toEqual([false, false]);
  });

  it('counts no interruption and no turn for it, and keeps the story one agent speech', () => {
    const turns = tree.turns();
    expect(turns).toHaveLength(2);
    expect(turns.map((t) => t.attributes['turn.interrupted'])).toEqual([false, false]);
    const conversation = tree.one('conversation').attributes;
    expect(conversation['voice.call.interruptions']).toBe(0);
    expect(conversation['livekit.false_interruptions']).toBe(1);
    expect(conversation['livekit.false_interruptions.resumed']).toBe(1);
    lk.assistant.forEach((message, i) => {
      const t = turns[i]!.attributes;
      expect(t['turn.agent_speech.started_at_ms']).toBe(
        Math.round(message.metrics.startedSpeakingAt! * 1000),
      );
      expect(t['turn.agent_speech.ended_at_ms']).toBe(Math.round(message.metrics.stoppedSpeakingAt! * 1000));
      const livekitMs = message.metrics.e2eLatency! * 1000;
      expect(Math.abs(Number(t['turn.e2e_latency_ms']) - livekitMs)).toBeLessThanOrEqual(5);
    });
    expect(diagnostics).toEqual([]);
  });

  it("puts LiveKit's session usage on the conversation", () => {
    const conversation = tree.one('conversation').attributes;
    expect(conversation['livekit.usage.llm.input_tokens']).toBe(10 + 40);
    expect(conversation['livekit.usage.llm.output_tokens']).toBe(20 + 2);
    expect(conversation['livekit.usage.tts.characters']).toBeGreaterThanOrEqual(STORY.length);
    expect(conversation['livekit.usage.stt.audio_duration_ms']).toBeGreaterThan(0);
  });
});

describe("a backchannel LiveKit's adaptive interruption detection recognises", () => {
  const SPEECHES_K = [
    { startTime: 200, endTime: 800, transcript: 'tell me a story', sttDelay: 150 },
    { startTime: 5200, endTime: 5600, transcript: 'thanks bye', sttDelay: 120 },
  ];
  // "Mm-hmm" over the story: shorter than the interruption's minimum duration, so LiveKit goes on.
  const MM_HMM = { startMs: 2000, endMs: 2200 };
  const STORY = 'Once upon a time there was a voice agent that talked for a very long while.';
  const { vt, exporter, diagnostics } = testVoxtrace();
  let lk: LiveKitRecord;
  let tree: SpanTree;

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'silent' });
    const input = new ScriptedAudioInput([
      ...SPEECHES_K.map((s) => ({ startMs: s.startTime, endMs: s.endTime })),
      MM_HMM,
    ]);
    const session = new AgentSession({
      stt: new UsageSTT(SPEECHES_K),
      vad: new EnergyVAD(),
      llm: new UsageLLM([
        {
          input: 'tell me a story',
          content: STORY,
          ttftMs: 100,
          durationMs: 150,
          promptTokens: 10,
          completionTokens: 20,
        },
        {
          input: 'thanks bye',
          content: 'Goodbye.',
          ttftMs: 100,
          durationMs: 150,
          promptTokens: 40,
          completionTokens: 2,
        },
      ]),
      tts: new ChunkedFakeTTS({ ttfbMs: 80, msPerChar: 40 }),
      turnHandling: {
        turnDetection: 'vad',
        endpointing: { minDelay: 300, maxDelay: 1500 },
        interruption: { mode: 'vad', minDuration: 300 },
      },
      aecWarmupDuration: null,
      userAwayTimeout: null,
    });
    session.input.audio = input;
    session.output.audio = new RealtimeAudioOutput();
    lk = recordLiveKit(session);
    instrumentAgentSession(session, vt, { conversationId: 'lk-backchannel' });
    // The adaptive detector needs LiveKit's inference service; its verdict and metrics are emitted
    // here as the session's own activity emits them (AgentSession events, LiveKit's payload types).
    let agentSpeaking = false;
    session.on(
      AgentSessionEventTypes.AgentStateChanged,
      (ev) => (agentSpeaking = ev.newState === 'speaking'),
    );
    session.on(AgentSessionEventTypes.UserStateChanged, (ev) => {
      if (ev.newState !== 'speaking' || !agentSpeaking) return;
      const detectedAt = Date.now() + 120;
      setTimeout(() => {
        const verdict: OverlappingSpeechEvent = {
          type: 'overlapping_speech',
          detectedAt,
          isInterruption: false,
          totalDurationInS: 0.15,
          predictionDurationInS: 0.03,
          detectionDelayInS: 0.12,
          overlapStartedAt: ev.createdAt,
          probability: 0.1,
          numRequests: 2,
        };
        session.emit(AgentSessionEventTypes.OverlappingSpeech, verdict);
        const metrics: InterruptionMetrics = {
          type: 'interruption_metrics',
          timestamp: detectedAt,
          totalDuration: 150,
          predictionDuration: 30,
          detectionDelay: 120,
          numInterruptions: 0,
          numBackchannels: 1,
          numRequests: 2,
          metadata: { modelProvider: 'livekit', modelName: 'adaptive interruption' },
        };
        session.emit(AgentSessionEventTypes.MetricsCollected, createMetricsCollectedEvent({ metrics }));
      }, 120);
    });
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    input.start();
    await lk.replies(2);
    await input.stop();
    await session.close();
    tree = new SpanTree(exporter.getFinishedSpans());
  }, 60_000);

  afterAll(() => vt.shutdown());

  it('counts no interruption and no turn for it, and reports the detector on the conversation', () => {
    expect(lk.assistant.map((m) => m.interrupted)).toEqual([false, false]);
    const turns = tree.turns();
    expect(turns).toHaveLength(2);
    expect(turns.map((t) => t.attributes['turn.interrupted'])).toEqual([false, false]);
    const conversation = tree.one('conversation').attributes;
    expect(conversation['voice.call.interruptions']).toBe(0);
    expect(conversation['livekit.backchannels']).toBe(1);
    expect(conversation).toMatchObject({
      'livekit.interruption.detected': 0,
      'livekit.interruption.backchannels': 1,
      'livekit.interruption.requests': 2,
      'livekit.interruption.detection_delay_ms.max': 120,
    });
    lk.assistant.forEach((message, i) => {
      const livekitMs = message.metrics.e2eLatency! * 1000;
      expect(Math.abs(Number(turns[i]!.attributes['turn.e2e_latency_ms']) - livekitMs)).toBeLessThanOrEqual(
        5,
      );
    });
    expect(diagnostics).toEqual([]);
  });
});

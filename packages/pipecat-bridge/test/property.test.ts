/**
 * Property tests (fast-check): any sequence of known and unknown RTVI messages, well-formed or not,
 * in any order, never makes `ingest` throw and leaves no span open once the conversations end; and
 * on time-ordered streams the turns are numbered exactly as Pipecat's TurnTrackingObserver would.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace } from '@voxtrace/core';
import { createPipecatBridge } from '@voxtrace/pipecat-bridge';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BASE } from './helpers.js';
import { messageFrame } from './protobuf.js';

/** Counts spans started and not yet ended. */
class OpenSpans implements SpanProcessor {
  readonly open = new Set<string>();
  started = 0;
  onStart(span: Span, _ctx: Context): void {
    this.started++;
    this.open.add(span.spanContext().spanId);
  }
  onEnd(span: ReadableSpan): void {
    this.open.delete(span.spanContext().spanId);
  }
  forceFlush = async () => {};
  shutdown = async () => {};
}

const processor = fc.constantFrom(
  'DeepgramSTTService#0',
  'OpenAILLMService#0',
  'CartesiaTTSService#0',
  'LocalSmartTurnAnalyzerV3#0',
  'WeirdService#1',
);
const seconds = fc.oneof(fc.constant(0), fc.double({ min: -1, max: 5, noNaN: true }));
const item = fc.record({ processor, value: seconds, model: fc.option(fc.string(), { nil: undefined }) });
const metricsData = fc.dictionary(
  fc.constantFrom('ttfb', 'processing', 'characters', 'ttfa', 'ttfat', 'tokens', 'stt_usage', 'smart_turn'),
  fc.oneof(
    fc.array(item, { maxLength: 3 }),
    fc.array(
      fc.record({
        processor,
        ttfa: seconds,
        ttfat: seconds,
        leading_silence: seconds,
        thinking_time: seconds,
      }),
      { maxLength: 2 },
    ),
    fc.array(
      fc.record({ prompt_tokens: fc.nat(5000), completion_tokens: fc.nat(500), total_tokens: fc.nat(6000) }),
    ),
    fc.array(fc.record({ processor, value: fc.record({ audio_seconds: seconds }) })),
    fc.anything(),
  ),
);
const callId = fc.constantFrom('c1', 'c2', 'c3');
const fnName = fc.option(fc.constantFrom('get_weather', 'book'), { nil: undefined });

/** Message types with plausible data, as Pipecat sends them. */
const wellFormed = fc.oneof(
  fc
    .constantFrom(
      'user-started-speaking',
      'user-stopped-speaking',
      'vad-user-started-speaking',
      'vad-user-stopped-speaking',
      'bot-started-speaking',
      'bot-stopped-speaking',
      'bot-interrupted',
      'bot-llm-started',
      'bot-llm-stopped',
      'bot-tts-started',
      'bot-tts-stopped',
      'user-mute-started',
    )
    .map((type) => ({ type })),
  fc.record({ type: fc.constant('metrics'), data: metricsData }),
  fc.record({
    type: fc.constant('user-transcription'),
    data: fc.record({
      text: fc.string(),
      final: fc.boolean(),
      user_id: fc.constant(''),
      timestamp: fc.string(),
    }),
  }),
  fc.record({
    type: fc.constantFrom('user-llm-text', 'bot-llm-text', 'bot-tts-text'),
    data: fc.record({ text: fc.string() }),
  }),
  fc.record({ type: fc.constant('llm-function-call-started'), data: fc.record({ function_name: fnName }) }),
  fc.record({
    type: fc.constant('llm-function-call-in-progress'),
    data: fc.record({ tool_call_id: callId, function_name: fnName, arguments: fc.jsonValue() }),
  }),
  fc.record({
    type: fc.constant('llm-function-call-stopped'),
    data: fc.record({ tool_call_id: callId, cancelled: fc.boolean(), result: fc.jsonValue() }),
  }),
  fc.record({
    type: fc.constant('llm-function-call'),
    data: fc.record({ tool_call_id: callId, function_name: fc.constant('legacy'), args: fc.jsonValue() }),
  }),
  fc.record({
    type: fc.constant('error'),
    data: fc.record({ error: fc.string(), fatal: fc.boolean() }),
  }),
  fc.record({
    type: fc.constant('bot-ready'),
    data: fc.record({ version: fc.constantFrom('1.4.0', '2.1.0') }),
  }),
  fc.record({
    type: fc.constant('bot-output'),
    data: fc.record({ text: fc.string(), aggregated_by: fc.constant('sentence'), spoken: fc.boolean() }),
  }),
);

const KNOWN = [
  'metrics',
  'user-transcription',
  'llm-function-call-in-progress',
  'llm-function-call-stopped',
  'llm-function-call',
  'error',
  'bot-output',
  'bot-ready',
  'user-started-speaking',
];

/** Anything at all: known types with garbage data, unknown types, other labels, raw text and bytes. */
const anyInput = fc.oneof(
  { weight: 6, arbitrary: wellFormed.map((m) => ({ label: 'rtvi-ai', ...m }) as unknown) },
  {
    weight: 2,
    arbitrary: fc.record({
      label: fc.constant('rtvi-ai'),
      type: fc.constantFrom(...KNOWN),
      data: fc.anything(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ label: fc.constant('rtvi-ai'), type: fc.string(), data: fc.anything() }),
  },
  { weight: 1, arbitrary: fc.record({ label: fc.string(), type: fc.string() }) },
  { weight: 1, arbitrary: wellFormed.map((m) => JSON.stringify({ label: 'rtvi-ai', ...m })) },
  { weight: 1, arbitrary: wellFormed.map((m) => messageFrame(JSON.stringify({ label: 'rtvi-ai', ...m }))) },
  { weight: 1, arbitrary: fc.oneof(fc.string(), fc.uint8Array({ maxLength: 64 }), fc.anything()) },
);

describe('property: ingest is total', () => {
  it('never throws and leaves no open span after end(), whatever arrives, in any order', async () => {
    let started = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            input: anyInput,
            id: fc.constantFrom('a', 'b', undefined),
            dt: fc.integer({ min: -2000, max: 4000 }),
          }),
          { maxLength: 60 },
        ),
        async (steps) => {
          const spans = new OpenSpans();
          const vt = createVoxtrace({ otlp: false, spanProcessors: [spans] });
          const bridge = createPipecatBridge(vt, {
            onDiagnostic: (d) => {
              if (d.code !== 'adapter_error') throw new Error(`unexpected diagnostic ${d.code}`);
            },
          });
          let at = BASE;
          for (const s of steps) {
            at = Math.max(0, at + s.dt);
            expect(() => bridge.ingest(s.input, { receivedAt: at, conversationId: s.id })).not.toThrow();
          }
          bridge.end('a');
          bridge.end('b');
          bridge.end();
          expect(spans.open.size).toBe(0);
          started += spans.started;
          expect(bridge.stats().openConversations).toBe(0);
          bridge.close();
          await vt.shutdown();
        },
      ),
      { numRuns: 300 },
    );
    expect(started).toBeGreaterThan(1000); // the sequences do build traces
  });
});

/**
 * Pipecat's TurnTrackingObserver (`observers/turn_tracking_observer.py`), ported as a reference:
 * turn 1 starts at StartFrame; a user start while the bot speaks ends the turn (interrupted) and
 * starts the next; so does a user start after the bot has spoken, or after the turn timed out
 * (2.5 s after the bot stopped); otherwise the user's speech continues the turn.
 */
function referenceTurnCount(stream: { type: string; at: number }[]): number {
  let count = 1;
  let active = true;
  let botSpeaking = false;
  let hasBotSpoken = false;
  let endAt: number | null = null;
  const start = () => {
    active = true;
    hasBotSpoken = false;
    count++;
  };
  for (const { type, at } of stream) {
    if (endAt !== null && at >= endAt) {
      active = false;
      endAt = null;
    }
    if (type === 'user-started-speaking') {
      if (botSpeaking) {
        endAt = null;
        botSpeaking = false;
        start();
      } else if (active && hasBotSpoken) {
        endAt = null;
        start();
      } else if (!active) start();
    } else if (type === 'bot-started-speaking') {
      botSpeaking = true;
      hasBotSpoken = true;
      endAt = null;
    } else if (type === 'bot-stopped-speaking' && botSpeaking) {
      botSpeaking = false;
      endAt = at + 2500;
    }
  }
  return count;
}

describe('property: turn numbers match TurnTrackingObserver', () => {
  it('counts the same turns on any time-ordered stream', () => {
    const TURN_TYPES = [
      'user-started-speaking',
      'user-stopped-speaking',
      'bot-started-speaking',
      'bot-stopped-speaking',
      'bot-interrupted',
      'bot-llm-started',
      'bot-llm-stopped',
      'bot-tts-started',
      'bot-tts-stopped',
      'tts-ttfb',
      'error',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(...TURN_TYPES), dt: fc.integer({ min: 1, max: 4000 }) }), {
          maxLength: 80,
        }),
        (steps) => {
          const vt = createVoxtrace({ otlp: false });
          const bridge = createPipecatBridge(vt);
          const stream: { type: string; at: number }[] = [];
          for (const s of steps) stream.push({ type: s.type, at: (stream.at(-1)?.at ?? BASE) + s.dt });
          for (const { type, at } of stream) {
            const message =
              type === 'tts-ttfb'
                ? {
                    label: 'rtvi-ai',
                    type: 'metrics',
                    data: { ttfb: [{ processor: 'CartesiaTTSService#0', value: 0.001 }] },
                  }
                : type === 'error'
                  ? {
                      label: 'rtvi-ai',
                      type: 'error',
                      data: { error: 'CartesiaTTSService#0 hiccup', fatal: false },
                    }
                  : { label: 'rtvi-ai', type };
            bridge.ingest(message, { receivedAt: at, conversationId: 't' });
          }
          const record = bridge.end('t');
          void vt.shutdown();
          if (!record) {
            expect(stream).toEqual([]);
            return;
          }
          // Core has no turn until an event opens one; Pipecat's turn 1 exists from StartFrame.
          expect(Math.max(record.turnCount, 1)).toBe(referenceTurnCount(stream));
        },
      ),
      { numRuns: 500 },
    );
  }, 120_000); // a property over many streams: minutes on a loaded 2-core machine
});

import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace, type TurnRecord, VOICE_EVENT_TYPES } from '@voxtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;

class OpenSpans implements SpanProcessor {
  open = 0;
  onStart(): void {
    this.open++;
  }
  onEnd(_: ReadableSpan): void {
    this.open--;
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const validEvent = fc.record(
  {
    type: fc.constantFrom(...VOICE_EVENT_TYPES),
    at: fc.integer({ min: 0, max: 60_000 }).map((d) => T0 + d),
    transcript: fc.string({ maxLength: 20 }),
    name: fc.constantFrom('a', 'b'),
    callId: fc.constantFrom('1', '2', '3'),
    layer: fc.constantFrom('stt', 'llm', 'tts', 'tool', 'telephony', 'dialog'),
    message: fc.string({ maxLength: 10 }),
    recoverable: fc.boolean(),
    interrupted: fc.boolean(),
    cancelled: fc.boolean(),
    error: fc.option(fc.string({ minLength: 1, maxLength: 5 }), { nil: undefined }),
    delayMs: fc.integer({ min: 0, max: 2000 }),
  },
  { requiredKeys: ['type', 'at'] },
);
// Junk: anything at all, including objects that look almost right.
const junk = fc.oneof(fc.anything(), fc.record({ type: fc.string(), at: fc.anything() }));
const stream = fc.array(fc.oneof({ weight: 5, arbitrary: validEvent }, { weight: 1, arbitrary: junk }), {
  maxLength: 80,
});

describe('property: any event stream', () => {
  it('never throws, ends every span, and keeps latency invariants', async () => {
    await fc.assert(
      fc.asyncProperty(stream, fc.constantFrom('end', 'idle', 'shutdown'), async (events, ending) => {
        let now = T0;
        const open = new OpenSpans();
        const turns: TurnRecord[] = [];
        const vt = createVoxtrace({
          otlp: false,
          spanProcessors: [open],
          now: () => now,
          idleTimeoutMs: 1000,
        });
        vt.on('turn', (t) => turns.push(t));
        const conv = vt.startConversation({ id: 'p', startedAt: T0 });
        for (const e of events) conv.record(e as never);
        if (ending === 'end') conv.end();
        else if (ending === 'idle') {
          now += 5000;
          vt.tick();
        }
        await vt.shutdown();
        expect(open.open).toBe(0);
        expect(vt.stats().openConversations).toBe(0);
        for (const t of turns) {
          if (t.e2eLatencyMs === null) expect(t.breakdown).toBeNull();
          else {
            expect(t.e2eLatencyMs).toBeGreaterThanOrEqual(0);
            const sum = Object.values(t.breakdown!).reduce((a, b) => a + b, 0);
            expect(sum).toBeCloseTo(t.e2eLatencyMs, 6);
            if (t.bottleneck) expect(t.bottleneck.share).toBeGreaterThanOrEqual(0.6);
          }
          expect(t.endedAt).toBeGreaterThanOrEqual(t.startedAt);
        }
        expect(turns.map((t) => t.index)).toEqual(turns.map((_, i) => i + 1));
      }),
      { numRuns: 300 },
    );
  });
});

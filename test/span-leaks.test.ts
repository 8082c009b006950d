/**
 * Span leaks: whatever happens to calls (events in any order, junk, errors, calls that just stop,
 * ends at any point, idle timeouts, the open-call cap evicting calls, sinks that throw, events after
 * the end, shutdown at any time), every span that starts also ends. At every step the only open spans
 * are the open calls' `conversation` spans; at the end there are none.
 */
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace, VOICE_EVENT_TYPES } from '@voxtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;
const IDLE_MS = 60_000;

class OpenSpans implements SpanProcessor {
  open = 0;
  started = 0;
  onStart(): void {
    this.open++;
    this.started++;
  }
  onEnd(_: ReadableSpan): void {
    this.open--;
  }
  forceFlush = async () => {};
  shutdown = async () => {};
}

const event = fc.record(
  {
    type: fc.constantFrom(...VOICE_EVENT_TYPES),
    dt: fc.integer({ min: -2000, max: 5000 }),
    transcript: fc.string({ maxLength: 8 }),
    name: fc.constantFrom('lookup', 'book'),
    callId: fc.constantFrom('1', '2'),
    layer: fc.constantFrom('stt', 'llm', 'tts', 'tool', 'telephony', 'dialog'),
    message: fc.string({ maxLength: 8 }),
    recoverable: fc.boolean(),
    error: fc.option(fc.oneof(fc.string({ minLength: 1, maxLength: 5 }), fc.constant(true)), {
      nil: undefined,
    }),
    cancelled: fc.boolean(),
    interrupted: fc.boolean(),
  },
  { requiredKeys: ['type', 'dt'] },
);

/** One step of a session of several calls. */
const step = fc.oneof(
  { weight: 12, arbitrary: fc.record({ op: fc.constant('record' as const), call: fc.nat(5), event }) },
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('junk' as const), call: fc.nat(5), value: fc.anything() }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('start' as const), call: fc.nat(5) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('end' as const),
      call: fc.nat(5),
      outcome: fc.constantFrom(undefined, 'completed', 'error', 'abandoned', 'transferred'),
    }),
  },
  // Time passes: some calls go idle past the timeout.
  {
    weight: 1,
    arbitrary: fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2 * IDLE_MS }) }),
  },
);

describe('property: no span is left open', () => {
  it('across calls that end, stop, time out, get evicted or outlive shutdown', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { maxLength: 120 }),
        fc.constantFrom('shutdown', 'end-all', 'idle'),
        fc.boolean(),
        async (steps, finish, throwingSink) => {
          let now = T0;
          const spans = new OpenSpans();
          const vt = createVoxtrace({
            otlp: false,
            spanProcessors: [spans],
            now: () => now,
            idleTimeoutMs: IDLE_MS,
            maxConversations: 3,
            monitor: { evaluationIntervalMs: 0 },
            sinks: throwingSink
              ? [
                  {
                    startConversation: () => ({
                      turn: () => {
                        throw new Error('sink bug');
                      },
                      end: () => {
                        throw new Error('sink bug');
                      },
                    }),
                  },
                ]
              : [],
          });
          const id = (call: number) => `call-${call}`;
          const calls = () =>
            [0, 1, 2, 3, 4, 5].map((c) => vt.getConversation(id(c))).filter((c) => c !== undefined);
          for (const s of steps) {
            switch (s.op) {
              case 'start':
                vt.startConversation({ id: id(s.call), startedAt: now });
                break;
              case 'record': {
                // An event for a call that is not open starts it, as an adapter would.
                const conv =
                  vt.getConversation(id(s.call)) ?? vt.startConversation({ id: id(s.call), startedAt: now });
                const { dt, ...rest } = s.event;
                now += Math.max(0, dt);
                conv.record({ ...rest, at: now + Math.min(0, dt) } as never);
                break;
              }
              case 'junk':
                vt.getConversation(id(s.call))?.record(s.value as never);
                break;
              case 'end': {
                const conv = vt.getConversation(id(s.call));
                conv?.end({ outcome: s.outcome });
                // Events after the end are refused, not recorded into a dead span.
                conv?.record({ type: 'user.speech.started', at: now });
                break;
              }
              case 'wait':
                now += s.ms;
                vt.tick();
                break;
            }
            // The only open spans are the open calls' conversation spans.
            expect(spans.open).toBe(vt.stats().openConversations);
            expect(vt.stats().openConversations).toBeLessThanOrEqual(3);
          }
          if (finish === 'end-all') for (const c of calls()) c.end();
          if (finish === 'idle') {
            now += IDLE_MS;
            vt.tick();
          }
          expect(spans.open).toBe(vt.stats().openConversations);
          await vt.shutdown();
          expect(spans.open).toBe(0);
          expect(vt.stats().openConversations).toBe(0);
        },
      ),
      { numRuns: 2000 },
    );
  }, 120_000);
});

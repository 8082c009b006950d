/**
 * Redaction cannot block the agent: its time grows linearly with its input whatever the input (fast-check
 * builds inputs from the pieces that make pattern matchers backtrack: `x@a.a.a…`, digit runs, "a dot a
 * dot…", "at" after "at", spoken number words, separators, other scripts' digits, escapes), and through
 * `record()`/`end()` every field of 1 MB of such text costs a bounded time, because everything is capped
 * before it is read. Times are the process's CPU time, not the wall clock: the machines that run the
 * tests are shared, and a descheduled process is not a slow redactor.
 */
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { applyContentPolicy, createVoxtrace, MAX_CONTENT_CHARS, redact } from '@voxtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

/** Pieces that make naive patterns backtrack, or make scanners look far ahead or behind. */
const PIECES = [
  'x@a.',
  'a.',
  '.',
  '@',
  'a@',
  '@a',
  '1',
  '1 ',
  '1-',
  '12 ',
  '1,',
  '1.',
  '(1)',
  '+1 ',
  'a dot ',
  ' dot ',
  'a at ',
  ' at ',
  'at the rate ',
  '(at)',
  '[dot]',
  'one ',
  'oh ',
  'double ',
  'twenty ',
  'hundred ',
  'thousand ',
  'and ',
  'dash ',
  'de89 ',
  'gb82',
  'qq ',
  'passport ',
  'cvv ',
  'expires ',
  'social ',
  'a1',
  'x ',
  'j ',
  '\u00a0',
  '\u2011',
  '\u200b',
  '٤',
  '४',
  '１',
  '\\u00a0',
  '\\n',
  'é',
  '\u0301',
  '😀',
];

const pattern = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 5 }).map((p) => p.join(''));

/** `unit` repeated to `n` characters. */
const fill = (unit: string, n: number) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

/** CPU time of `f`, in ms. */
function cpu(f: () => void): number {
  const before = process.cpuUsage();
  f();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** The least CPU time of a few runs, in ms (garbage collection lands on some of them). */
function fastest(f: () => void, runs = 3): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) best = Math.min(best, cpu(f));
  return best;
}

describe('redaction time is linear in its input', () => {
  it('8× the input costs at most 24× the time (quadratic would be 64×), for any mix of hostile pieces', () => {
    const N = 12_500;
    // Warm the JIT so the first sample is not the slowest.
    redact(fill('x@a.1 one at ', 8 * N));
    fc.assert(
      fc.property(pattern, (unit) => {
        const small = fill(unit, N);
        const large = fill(unit, 8 * N);
        const t1 = fastest(() => redact(small), 5);
        const t8 = fastest(() => redact(large), 5);
        // Below 100 ms the figures are noise (garbage collection, a shared machine); a super-linear scanner
        // at 100 000 characters takes seconds.
        expect(t8, `${JSON.stringify(unit)}: ${t1.toFixed(2)} ms → ${t8.toFixed(2)} ms`).toBeLessThanOrEqual(
          Math.max(24 * t1, 100),
        );
      }),
      { numRuns: 50 },
    );
  }, 180_000);

  it('never throws and returns a string for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), pattern, fc.string()), (text) => {
        expect(typeof redact(text)).toBe('string');
        expect(typeof applyContentPolicy('redacted', text)).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });

  it('a capped field reads the same bounded window however long the text is', () => {
    fc.assert(
      fc.property(pattern, (unit) => {
        const mb = fill(unit, 1 << 20);
        const t = fastest(() => applyContentPolicy('redacted', mb), 2);
        // Generous bound (the target, ≤ 10 ms per field, is a row of `npm run bench`): catches an order of magnitude.
        expect(t, JSON.stringify(unit)).toBeLessThan(500);
        expect(applyContentPolicy('redacted', mb)!.length).toBeLessThanOrEqual(MAX_CONTENT_CHARS + 20);
      }),
      { numRuns: 40 },
    );
  });
});

/** Every span handed over, to check the capped attributes. */
class Keep implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

describe('record() and end() with 1 MB of hostile text in every field', () => {
  it('each call stays far below 500 ms even on a loaded machine, and every string on a span is capped', async () => {
    const keep = new Keep();
    const vt = createVoxtrace({ otlp: false, spanProcessors: [keep], metrics: false, monitor: false });
    const worst: { call: string; ms: number }[] = [];
    const T0 = 1_763_700_000_000;
    for (const unit of [
      'x@a.',
      '1',
      '1 ',
      '1-',
      'a dot ',
      'a at 12 ',
      'one ',
      'oh 1',
      '1\u00a0',
      'de89 ',
      '٤',
      'qq 1 ',
    ]) {
      const mb = fill(unit, 1 << 20);
      const conv = vt.startConversation({ id: `c-${unit}`, startedAt: T0, attributes: { note: mb } });
      const calls: [string, () => void][] = [];
      const r = (type: string, dt: number, extra: object = {}) =>
        calls.push([
          type,
          () => conv.record({ type, at: T0 + dt, attributes: { [mb.slice(0, 300)]: mb }, ...extra } as never),
        ]);
      r('user.speech.started', 0);
      r('user.speech.ended', 1000);
      r('stt.final', 1100, { transcript: mb });
      r('llm.started', 1200, { input: mb });
      r('llm.first_token', 1500);
      r('llm.ended', 1550, { output: mb, error: mb });
      r('tool.started', 1560, { name: 'lookup', callId: 't1', arguments: { a: mb, b: [mb, mb] } });
      r('tool.ended', 1700, { name: 'lookup', callId: 't1', result: mb, error: mb });
      r('tts.started', 2010, { text: mb });
      r('tts.first_audio', 2100);
      r('agent.speech.started', 2110);
      r('tts.ended', 3000, { error: mb });
      r('agent.speech.ended', 3100);
      r('error', 3200, { layer: 'stt', message: mb.slice(0, 10_000) });
      // The next turn's start finalizes this one: the spans are made on that call.
      r('user.speech.started', 4000);
      calls.push(['setAttributes', () => conv.setAttributes({ more: mb })]);
      calls.push(['end', () => conv.end({ endedAt: T0 + 5000 })]);
      for (const [call, f] of calls) worst.push({ call: `${JSON.stringify(unit)} ${call}`, ms: cpu(f) });
    }
    await vt.shutdown();
    worst.sort((a, b) => b.ms - a.ms);
    // The acceptance figure is ≤ 50 ms per call on a quiet machine (`npm run bench`); a shared CI machine can
    // be several times slower, so the test catches an order-of-magnitude regression (main took 36 s).
    expect(worst[0]!.ms, `slowest: ${worst[0]!.call}`).toBeLessThan(500);
    const strings = keep.spans.flatMap((s) => [
      ...Object.entries(s.attributes).flatMap(([k, v]) => [k, ...(Array.isArray(v) ? v : [v])]),
      ...s.events.flatMap((e) => Object.values(e.attributes ?? {})),
      s.status.message ?? '',
    ]);
    expect(keep.spans.length).toBeGreaterThan(50);
    for (const v of strings)
      if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(MAX_CONTENT_CHARS + 20);
  });
});

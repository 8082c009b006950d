/**
 * The content policy as a user configures it: your own redactor after or instead of the built-in one,
 * guarded (a redactor that throws, returns no string, or is slow never reaches the agent: the text is
 * dropped, counted and diagnosed), configuration mistakes refused at `createVoxtrace`, and the OpenTelemetry
 * GenAI environment variable honoured when the code does not choose.
 */
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  type ContentField,
  createVoxtrace,
  type Diagnostic,
  REDACTION_FAILED,
  type VoxtraceOptions,
} from '@voxtrace/core';
import { afterEach, describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;

class Keep implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

const instances: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((i) => i.shutdown()));
});

function setup(options: VoxtraceOptions = {}) {
  const keep = new Keep();
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({
    otlp: false,
    spanProcessors: [keep],
    onDiagnostic: (d) => diagnostics.push(d),
    ...options,
  });
  instances.push(vt);
  const attr = (span: string, key: string) =>
    keep.spans.filter((s) => s.name === span).map((s) => s.attributes[key]);
  return { vt, keep, diagnostics, attr };
}

/** One turn in which every content field and an error quote Jane Doe and her email. */
function turn(vt: ReturnType<typeof setup>['vt'], id = 'call-1') {
  const said = 'this is Jane Doe, jane.doe@example.com';
  const conv = vt.startConversation({ id, startedAt: T0 });
  const r = (type: string, dt: number, extra: object = {}) =>
    conv.record({ type, at: T0 + dt, ...extra } as never);
  expect(() => {
    r('user.speech.started', 0);
    r('user.speech.ended', 1000);
    r('stt.final', 1100, { transcript: said });
    r('llm.started', 1200, { input: said });
    r('llm.first_token', 1500);
    r('llm.ended', 1550, { output: said });
    r('tool.started', 1560, { name: 'lookup', callId: 't1', arguments: { who: said } });
    r('tool.ended', 1700, { name: 'lookup', callId: 't1', error: `no match for ${said}` });
    r('tts.started', 1800, { text: said });
    r('tts.ended', 2500);
    conv.end({ endedAt: T0 + 5000 });
  }).not.toThrow();
}

const NAME = (text: string) => text.replaceAll('Jane Doe', '[NAME]');

describe('your redactor', () => {
  it("'after' (the default) runs on the built-in redactor's output, for every field and error", () => {
    const seen: [ContentField, string][] = [];
    const { vt, attr } = setup({
      content: {
        redact: (text, field) => {
          seen.push([field, text]);
          return NAME(text);
        },
      },
    });
    turn(vt);
    expect(attr('stt', 'stt.transcript')).toEqual(['this is [NAME], [EMAIL]']);
    expect(attr('llm', 'llm.output')).toEqual(['this is [NAME], [EMAIL]']);
    expect(attr('tool_call', 'gen_ai.tool.call.arguments')).toEqual(['{"who":"this is [NAME], [EMAIL]"}']);
    expect(attr('tool_call', 'component.error')).toEqual(['no match for this is [NAME], [EMAIL]']);
    expect(new Set(seen.map(([f]) => f))).toEqual(
      new Set(['transcript', 'llm.input', 'llm.output', 'tool.arguments', 'tts.text', 'error']),
    );
    // It never sees what the built-in redactor masks.
    for (const [, text] of seen) expect(text).not.toContain('jane.doe@example.com');
  });

  it("'instead' replaces the built-in redactor", () => {
    const { vt, attr } = setup({ content: { redact: NAME, use: 'instead' } });
    turn(vt);
    expect(attr('stt', 'stt.transcript')).toEqual(['this is [NAME], jane.doe@example.com']);
    expect(attr('tool_call', 'component.error')).toEqual([
      'no match for this is [NAME], jane.doe@example.com',
    ]);
  });

  it('a redactor that throws: the text is dropped, counted and diagnosed; the agent sees nothing', () => {
    const { vt, attr, diagnostics } = setup({
      content: {
        redact: () => {
          throw new Error('model not loaded');
        },
      },
    });
    turn(vt);
    expect(attr('stt', 'stt.transcript')).toEqual([REDACTION_FAILED]);
    expect(attr('tool_call', 'component.error')).toEqual([REDACTION_FAILED]);
    const failed = diagnostics.filter((d) => d.code === 'redactor_error');
    expect(failed.length).toBeGreaterThanOrEqual(6);
    expect(failed[0]!.message).toContain('model not loaded');
    expect(failed[0]!.conversationId).toBe('call-1');
    expect(vt.stats().diagnostics.redactor_error).toBe(failed.length);
  });

  it('a redactor that returns no string (undefined, a number, a rejecting promise): dropped, nothing unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const outs: unknown[] = [undefined, 42, Promise.reject(new Error('async')), null];
      let k = 0;
      const { vt, attr, diagnostics } = setup({
        content: { redact: (() => outs[k++ % outs.length]) as unknown as (t: string) => string },
      });
      turn(vt);
      await new Promise((r) => setTimeout(r, 20));
      expect(attr('stt', 'stt.transcript')).toEqual([REDACTION_FAILED]);
      expect(diagnostics.some((d) => d.code === 'redactor_error' && d.message.includes('not a string'))).toBe(
        true,
      );
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a slow redactor: its output is dropped and it is not called again for a minute', () => {
    let calls = 0;
    const { vt, attr, diagnostics } = setup({
      content: {
        redactTimeoutMs: 5,
        redact: (text) => {
          calls++;
          const until = performance.now() + 20;
          while (performance.now() < until);
          return NAME(text);
        },
      },
    });
    turn(vt);
    turn(vt, 'call-2');
    expect(calls).toBe(1);
    expect(attr('stt', 'stt.transcript')).toEqual([REDACTION_FAILED, REDACTION_FAILED]);
    expect(diagnostics.filter((d) => d.code === 'redactor_slow')).toHaveLength(1);
    expect(vt.stats().diagnostics.redactor_slow).toBe(1);
  });

  it('is counted in the metrics', async () => {
    const { vt } = setup({
      content: {
        redact: () => {
          throw new Error('x');
        },
      },
    });
    turn(vt);
    const text = await vt.registry!.metrics();
    expect(text).toMatch(/voxtrace_diagnostics_total\{code="redactor_error"\} [1-9]/);
  });
});

describe('content modes', () => {
  it("'none' hides content but keeps error messages, redacted", () => {
    const { vt, keep, attr } = setup({ content: 'none' });
    turn(vt);
    const keys = keep.spans.flatMap((s) => Object.keys(s.attributes));
    for (const k of ['stt.transcript', 'llm.input', 'llm.output', 'gen_ai.tool.call.arguments', 'tts.text'])
      expect(keys).not.toContain(k);
    expect(attr('tool_call', 'component.error')).toEqual(['no match for this is Jane Doe, [EMAIL]']);
  });

  it('configuration mistakes throw at createVoxtrace, with what is wrong', () => {
    const bad: [unknown, RegExp][] = [
      ['redact', /content.mode must be/],
      [{ mode: 'raw' }, /content.mode must be/],
      [{ redact: 'x' }, /content.redact must be a function/],
      [{ redact: NAME, use: 'before' }, /content.use must be/],
      [{ use: 'instead' }, /needs content.redact/],
      [{ mode: 'full', redact: NAME }, /no effect with mode 'full'/],
      [{ redact: NAME, redactTimeoutMs: 0 }, /redactTimeoutMs must be a positive number/],
      [7, /content must be/],
    ];
    for (const [content, message] of bad)
      expect(() => createVoxtrace({ otlp: false, content: content as never })).toThrow(message);
  });
});

describe('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', () => {
  const KEY = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';
  afterEach(() => {
    delete process.env[KEY];
  });

  it('false: no content on spans, unless the code chooses a mode', () => {
    process.env[KEY] = 'false';
    const off = setup();
    turn(off.vt);
    expect(off.attr('stt', 'stt.transcript')).toEqual([undefined]);
    expect(off.attr('tool_call', 'component.error')).toEqual(['no match for this is Jane Doe, [EMAIL]']);
    const chosen = setup({ content: 'redacted' });
    turn(chosen.vt);
    expect(chosen.attr('stt', 'stt.transcript')).toEqual(['this is Jane Doe, [EMAIL]']);
  });

  it('true: content redacted, never in full unless the code says so', () => {
    process.env[KEY] = 'true';
    const on = setup();
    turn(on.vt);
    expect(on.attr('stt', 'stt.transcript')).toEqual(['this is Jane Doe, [EMAIL]']);
  });
});

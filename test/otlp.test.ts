import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVoxtrace, type Diagnostic, traceIdForConversation } from '@voxtrace/core';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort, type OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver.js';

const T0 = 1_763_700_000_000;
let receiver: OtlpReceiver | undefined;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
process.on('unhandledRejection', onUnhandled);
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

function recordTurn(conv: { record(e: object): void }) {
  const r = (type: string, dt: number, extra: object = {}) => conv.record({ type, at: T0 + dt, ...extra });
  r('user.speech.started', 100);
  r('user.speech.ended', 1100);
  r('stt.final', 1250, { transcript: 'my email is bob@example.org', provider: 'deepgram' });
  r('llm.started', 1400, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 1800);
  r('tool.started', 1810, { name: 'lookup', callId: 't1', arguments: { email: 'bob@example.org' } });
  r('tool.ended', 2010, { name: 'lookup', callId: 't1', result: 'ok' });
  r('tts.started', 2020);
  r('tts.first_audio', 2120);
  r('agent.speech.started', 2130);
  r('llm.ended', 2200, { inputTokens: 10, outputTokens: 5 });
  r('agent.speech.ended', 3000);
}

describe('OTLP/HTTP export on the wire', () => {
  it('the real exporter delivers the conversation tree to a collector on 127.0.0.1', async () => {
    receiver = await startOtlpReceiver();
    const vt = createVoxtrace({ serviceName: 'wire-test', otlp: { url: receiver.url } });
    const conv = vt.startConversation({ id: 'wire-1', platform: 'custom', startedAt: T0 });
    recordTurn(conv);
    conv.end({ outcome: 'completed', endedAt: T0 + 4000 });
    await vt.shutdown();

    const spans = receiver.spans;
    expect(spans.map((s) => s.name).sort()).toEqual(
      ['conversation', 'llm', 'stt', 'tool_call', 'tts', 'turn'].sort(),
    );
    const root = spans.find((s) => s.name === 'conversation')!;
    const turn = spans.find((s) => s.name === 'turn')!;
    expect(root.traceId).toBe(traceIdForConversation('wire-1'));
    expect(root.parentSpanId).toBeUndefined();
    expect(root.resource['service.name']).toBe('wire-test');
    expect([root.startMs, root.endMs]).toEqual([T0, T0 + 4000]);
    expect(turn.parentSpanId).toBe(root.spanId);
    expect(turn.attributes['turn.e2e_latency_ms']).toBe(1030);
    for (const s of spans.filter((x) => x !== root && x !== turn)) {
      expect(s.parentSpanId).toBe(turn.spanId);
      expect(s.traceId).toBe(root.traceId);
    }
    const tool = spans.find((s) => s.name === 'tool_call')!;
    expect([tool.startMs, tool.endMs]).toEqual([T0 + 1810, T0 + 2010]);
    expect(tool.attributes['gen_ai.tool.name']).toBe('lookup');
    // Default content mode: nothing personal crossed the wire.
    expect(JSON.stringify(spans)).not.toContain('bob@example.org');
    expect(vt.stats().exportedSpans).toBe(6);
    expect(unhandled).toEqual([]);
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT turns export on without options', async () => {
    receiver = await startOtlpReceiver();
    const prev = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url.replace('/v1/traces', '');
    try {
      const vt = createVoxtrace();
      vt.startConversation({ id: 'env-1', startedAt: T0 }).end({ endedAt: T0 + 1 });
      await vt.shutdown();
    } finally {
      if (prev === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = prev;
    }
    expect(receiver.spans.map((s) => s.name)).toEqual(['conversation']);
  });

  it('collector refusing connections: shutdown() resolves, failures are counted, nothing unhandled', async () => {
    const port = await closedPort();
    const diagnostics: Diagnostic[] = [];
    const vt = createVoxtrace({
      otlp: { url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 1000 },
      flushTimeoutMs: 3000,
      onDiagnostic: (d) => diagnostics.push(d),
    });
    const conv = vt.startConversation({ id: 'down-1', startedAt: T0 });
    recordTurn(conv);
    conv.end({ endedAt: T0 + 4000 });
    await expect(vt.shutdown()).resolves.toBeUndefined();
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
    const codes = diagnostics.map((d) => d.code);
    expect(codes.some((c) => c === 'export_failed' || c === 'flush_timeout')).toBe(true);
    expect(vt.stats().exportedSpans).toBe(0);
  });

  it('collector that never answers: shutdown() resolves within the flush timeout', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const server = createServer(() => {
      /* never answers */
    });
    server.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const diagnostics: Diagnostic[] = [];
    const vt = createVoxtrace({
      otlp: { url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 20_000 },
      flushTimeoutMs: 500,
      onDiagnostic: (d) => diagnostics.push(d),
    });
    vt.startConversation({ id: 'hang-1', startedAt: T0 }).end({ endedAt: T0 + 1 });
    await expect(vt.shutdown()).resolves.toBeUndefined();
    expect(diagnostics.map((d) => d.code)).toContain('flush_timeout');
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    expect(unhandled).toEqual([]);
  });
});

/**
 * One tracer provider for LiveKit's telemetry and voxtrace: both kinds of spans reach the same OTLP
 * endpoint (a real HTTP receiver on 127.0.0.1), LiveKit's nest as LiveKit built them, and LiveKit's PII
 * filter is installed on the shared provider. Own file: `setTracerProvider` is process-global.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, AgentSession, initializeLogger, telemetry, voice } from '@livekit/agents';
import { createVoxtraceForLiveKit, instrumentAgentSession } from '@voxtrace/livekit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  service: string;
}

/** An OTLP/HTTP JSON traces receiver. */
async function otlpReceiver(): Promise<{ url: string; spans: OtlpSpan[]; server: Server }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value
          ?.stringValue;
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ ...s, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, server };
}

/** One text turn through a real session, exported through a provider shared with LiveKit. */
async function tracedCall(url: string, allowPii: boolean): Promise<void> {
  const vt = createVoxtraceForLiveKit({
    serviceName: 'lk-shared-test',
    otlp: { url },
    livekit: { telemetry, allowPii, metadata: { 'app.tenant': 'acme' } },
  });
  const session = new AgentSession({
    llm: new voice.testing.FakeLLM([{ input: 'my email is ann@example.com', content: 'Noted.' }]),
    vad: null,
    turnHandling: { turnDetection: 'manual' },
  });
  instrumentAgentSession(session, vt, { conversationId: `shared-${allowPii}` });
  await session.start({ agent: new Agent({ instructions: 'test' }) });
  await session.run({ userInput: 'my email is ann@example.com' }).wait();
  await session.close();
  await vt.shutdown();
}

const piiKeys = (s: OtlpSpan) =>
  s.attributes.map((a) => a.key).filter((k) => /(^|\.)pii(\.|$)/i.test(k) || k === 'gen_ai.input.messages');

describe('createVoxtraceForLiveKit', () => {
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let filtered: OtlpSpan[];
  let permissive: OtlpSpan[];

  beforeAll(async () => {
    initializeLogger({ pretty: false, level: 'silent' });
    receiver = await otlpReceiver();
    await tracedCall(receiver.url, false);
    filtered = receiver.spans.splice(0);
    await tracedCall(receiver.url, true);
    permissive = receiver.spans.splice(0);
  }, 30_000);

  afterAll(() => new Promise<void>((resolve) => receiver.server.close(() => resolve())));

  it("sends LiveKit's spans and voxtrace's to the same endpoint, under one service", () => {
    const names = new Set(filtered.map((s) => s.name));
    for (const name of ['agent_session', 'agent_turn', 'llm_node', 'llm_request'])
      expect(names).toContain(name);
    for (const name of ['conversation', 'turn', 'llm']) expect(names).toContain(name);
    expect(new Set(filtered.map((s) => s.service))).toEqual(new Set(['lk-shared-test']));
    // LiveKit's metadata processor runs on the shared provider.
    const session = filtered.find((s) => s.name === 'agent_session')!;
    expect(session.attributes.find((a) => a.key === 'app.tenant')?.value).toEqual({ stringValue: 'acme' });
  });

  it('keeps LiveKit spans nested as LiveKit made them', () => {
    const byId = new Map(filtered.map((s) => [s.spanId, s]));
    const llmNode = filtered.find((s) => s.name === 'llm_node')!;
    expect(byId.get(llmNode.parentSpanId!)?.name).toBe('agent_turn');
    const root = filtered.find((s) => s.name === 'agent_session')!;
    expect(llmNode.traceId).toBe(root.traceId);
  });

  it("installs LiveKit's PII filter on the shared provider", () => {
    const livekit = (spans: OtlpSpan[]) =>
      spans.filter((s) => !['conversation', 'turn', 'llm', 'tool_call', 'tts', 'stt'].includes(s.name));
    expect(livekit(filtered).flatMap(piiKeys)).toEqual([]);
    // The same call with PII allowed does carry content: the check above can fail.
    expect(livekit(permissive).flatMap(piiKeys).length).toBeGreaterThan(0);
  });
});

/**
 * The receiver over real HTTP: malformed bodies answer 400, oversize ones 413 (declared, streamed or
 * inflated), unsupported types 415, and the server keeps serving a real exporter afterwards.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { type DevServer, startDevServer } from '@voxtrace/cli';
import { createVoxtrace } from '@voxtrace/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthyTurn, recordCall } from './helpers/calls.js';

const LIMIT = 64 * 1024;
let server: DevServer;
beforeAll(async () => {
  server = await startDevServer({ port: 0, maxBodyBytes: LIMIT });
});
afterAll(() => server.close());

const post = (body: BodyInit, headers: Record<string, string>) =>
  fetch(server.otlpUrl, { method: 'POST', body, headers });
const JSON_TYPE = { 'content-type': 'application/json' };
const PROTO_TYPE = { 'content-type': 'application/x-protobuf' };
const TRACE = '0af7651916cd43dd8448eb211c80319c';

/** A raw request: chunked upload of `chunks`, custom headers; resolves with status and body. */
function raw(options: {
  method?: string;
  path?: string;
  headers: Record<string, string>;
  chunks: Buffer[];
}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${server.endpoint}${options.path ?? '/v1/traces'}`,
      { method: options.method ?? 'POST', headers: options.headers },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(parts).toString() }));
      },
    );
    req.on('error', reject);
    const write = (i: number) => {
      if (i === options.chunks.length) return req.end();
      if (req.destroyed) return;
      req.write(options.chunks[i], () => write(i + 1));
    };
    write(0);
  });
}

async function stillServing(): Promise<void> {
  const before = server.store.stats().spans;
  const vt = createVoxtrace({ otlp: { url: server.otlpUrl } });
  recordCall(vt, { id: `after-${before}`, startedAt: 1_763_700_000_000, turns: [healthyTurn(0)] });
  await vt.shutdown();
  expect(vt.stats()).toMatchObject({ failedSpans: 0 });
  expect(server.store.stats().spans).toBeGreaterThan(before);
  expect((await fetch(`${server.endpoint}/api/health`)).status).toBe(200);
}

describe('malformed bodies: 400 with a google.rpc.Status', () => {
  it.each([
    ['JSON that does not parse', '{"resourceSpans": [', JSON_TYPE, /body is not JSON/],
    [
      'JSON of the wrong shape',
      '{"resourceSpans": {"a": 1}}',
      JSON_TYPE,
      /not an ExportTraceServiceRequest: resourceSpans/,
    ],
    [
      'protobuf with a wrong wire type',
      Buffer.from([0x08, 0x01]),
      PROTO_TYPE,
      /malformed protobuf ExportTraceServiceRequest/,
    ],
    ['protobuf cut short', Buffer.from([0x0a, 0x10, 0x0a]), PROTO_TYPE, /past the end/],
    [
      'gzip that is not gzip',
      Buffer.from('plain text'),
      { ...PROTO_TYPE, 'content-encoding': 'gzip' },
      /invalid gzip body/,
    ],
  ])('%s', async (_, body, headers, message) => {
    const res = await post(body, headers);
    expect(res.status).toBe(400);
    const text = Buffer.from(await res.arrayBuffer()).toString('latin1');
    expect(text).toMatch(message);
    expect(res.headers.get('content-type')).toBe(headers['content-type']);
    await stillServing();
  });
});

describe('oversize bodies: 413, capped while reading', () => {
  it('a declared Content-Length over the cap', async () => {
    const res = await post(Buffer.alloc(LIMIT + 1, 0x20), JSON_TYPE);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(`over the limit of ${LIMIT} bytes`);
    await stillServing();
  });

  it('a chunked upload without Content-Length that grows past the cap', async () => {
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(8192, 0x20));
    const res = await raw({ headers: { ...JSON_TYPE, 'transfer-encoding': 'chunked' }, chunks });
    expect(res.status).toBe(413);
    await stillServing();
  });

  it('a small gzip body that inflates past the cap', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * LIMIT));
    expect(bomb.length).toBeLessThan(LIMIT);
    const res = await post(bomb, { ...PROTO_TYPE, 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    await stillServing();
  });
});

describe('clients that go away', () => {
  it('an upload cut off mid-body does not disturb the server', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.write(
      `POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"resourceSpans": [`,
    );
    socket.destroy();
    await closed;
    await stillServing();
  });
});

describe('everything else the endpoint refuses', () => {
  it.each([
    [
      'an unsupported content type',
      { 'content-type': 'text/plain' },
      415,
      /unsupported content-type "text\/plain"/,
    ],
    [
      'an unsupported content encoding',
      { ...JSON_TYPE, 'content-encoding': 'br' },
      415,
      /unsupported content-encoding "br"/,
    ],
  ])('%s', async (_, headers, status, message) => {
    const res = await post('{}', headers);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
  });

  it('GET on /v1/traces is 405, an unknown path 404', async () => {
    const get = await fetch(server.otlpUrl);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect((await fetch(`${server.endpoint}/v1/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('a Host header that is not loopback is refused (DNS rebinding)', async () => {
    const res = await raw({
      method: 'GET',
      path: '/api/overview',
      headers: { host: `attacker.example:${server.port}` },
      chunks: [],
    });
    expect(res.status).toBe(403);
    const ok = await raw({
      method: 'GET',
      path: '/api/health',
      headers: { host: `localhost:${server.port}` },
      chunks: [],
    });
    expect(ok.status).toBe(200);
  });

  it('a cross-site form post (no JSON content type) cannot publish incidents', async () => {
    const res = await fetch(`${server.endpoint}/api/incidents`, {
      method: 'POST',
      body: 'id=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
  });
});

describe('partial success', () => {
  const spanJson = (spanId: string) => ({
    traceId: TRACE,
    spanId,
    name: 'turn',
    startTimeUnixNano: '1763700000000000000',
    endTimeUnixNano: '1763700001000000000',
    attributes: [{ key: 'conversation.id', value: { stringValue: 'partial-1' } }],
  });

  it('JSON: valid spans are kept, the rejected ones counted in partialSuccess', async () => {
    const res = await post(
      JSON.stringify({
        resourceSpans: [{ scopeSpans: [{ spans: [spanJson('00f067aa0ba902b7'), spanJson('zz')] }] }],
      }),
      JSON_TYPE,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: 1, errorMessage: 'invalid span id "zz"' },
    });
    expect(server.store.spans(TRACE)?.map((s) => s.spanId)).toEqual(['00f067aa0ba902b7']);
  });

  it('protobuf: the response is an ExportTraceServiceResponse the exporter itself decodes', async () => {
    const ld = (no: number, payload: number[]) => [no * 8 + 2, payload.length, ...payload];
    const spanBytes = (id: string) => [
      ...ld(1, [...Buffer.from(TRACE, 'hex')]),
      ...ld(2, [...Buffer.from(id, 'hex')]),
      ...ld(5, [...Buffer.from('turn')]),
    ];
    // ExportTraceServiceRequest.resource_spans(1) → ResourceSpans.scope_spans(2) → ScopeSpans.spans(2)
    const body = Uint8Array.from(
      ld(1, ld(2, [...ld(2, spanBytes('00f067aa0ba902b8')), ...ld(2, spanBytes('abcd'))])),
    );
    const res = await post(body, PROTO_TYPE);
    expect(res.status).toBe(200);
    const decoded = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
    expect(decoded).toEqual({ partialSuccess: { rejectedSpans: 1, errorMessage: 'invalid span id "abcd"' } });
  });
});

import { request as httpRequest } from 'node:http';
import {
  createVapiWebhookHandler,
  toNodeHandler,
  type VapiMessage,
  type VapiMessageContext,
  type VapiWebhookOptions,
} from '@voxtrace/vapi';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from '../../core/test/support/raw-http.js';
import {
  CALL_ID,
  createServer,
  FIXTURES,
  fixture,
  fixtureText,
  type Harness,
  harness,
  listen,
} from './helpers.js';

const SECRET = 'test-secret';
const auth = { type: 'secret', secret: SECRET } as const;

let h: Harness;
let port = 0;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
  await h?.vt.shutdown();
});

/** A real server on 127.0.0.1 with the webhook handler; returns a poster. */
async function serve(options: Partial<VapiWebhookOptions> = {}) {
  h = harness();
  const handler = createVapiWebhookHandler(h.vt, { auth, ...options });
  const server = await listen(createServer(toNodeHandler(handler)));
  close = server.close;
  port = Number(new URL(server.url).port);
  return async (
    body: string | Uint8Array,
    headers: Record<string, string> = { 'x-vapi-secret': SECRET },
    method = 'POST',
  ) => {
    const res = await fetch(`${server.url}/vapi`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(method === 'POST' && {
        body: typeof body === 'string' ? body : new Blob([body as Uint8Array<ArrayBuffer>]),
      }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}

describe('each fixture through the handler over HTTP', () => {
  it('answers 200 to every fixture and records the call from the report', async () => {
    const seen: string[] = [];
    const post = await serve({ onMessage: (m) => void seen.push(m.type) });
    for (const name of FIXTURES) expect((await post(fixtureText(name))).status, name).toBe(200);
    expect(seen.sort()).toEqual([
      'end-of-call-report',
      'speech-update',
      'status-update',
      'status-update',
      'tool-calls',
    ]);
    const rec = h.conversations.find((c) => c.id === CALL_ID)!;
    expect(rec.turnCount).toBe(3);
    expect(rec.turns[1]!.e2eLatencyMs).toBe(5470);
    expect(rec.turns[1]!.attributes['vapi.turn_latency_ms']).toBe(3553);
    expect(rec.turns[1]!.tools[0]).toMatchObject({ name: 'dtmf', durationMs: 1164 });
    expect(rec.outcome).toBe('completed');
    const tool = h.spans('tool_call').filter((s) => s.spanContext().traceId === CALL_ID.replace(/-/g, ''));
    expect(tool).toHaveLength(1);
  });

  it('returns the onMessage answer to tool-calls; the tool span ends at Vapi’s time of the result', async () => {
    h = harness();
    let clock = 1_678_901_234_567 + 40; // 40 ms after Vapi's timestamp
    const handler = createVapiWebhookHandler(h.vt, {
      auth,
      now: () => clock,
      onMessage: (m: VapiMessage, ctx: VapiMessageContext) => {
        if (m.type !== 'tool-calls') return undefined;
        expect(ctx.observed.callId).toBe('call-uuid');
        clock += 700; // the tool takes 700 ms
        return { results: [{ toolCallId: 'toolu_01DTPAzUm5Gk3zxrpJ969oMF', result: '18°C, clear' }] };
      },
    });
    const call = { id: 'call-uuid' };
    const post = (message: Record<string, unknown>) =>
      handler(
        new Request('http://127.0.0.1/vapi', {
          method: 'POST',
          headers: { 'x-vapi-secret': SECRET },
          body: JSON.stringify({ message: { call, ...message } }),
        }),
      );
    // The call sends transcripts, so its live path owns turns.
    await post({ type: 'speech-update', role: 'user', status: 'started', timestamp: 1_678_901_230_000 });
    await post({ type: 'speech-update', role: 'user', status: 'stopped', timestamp: 1_678_901_232_000 });
    await post({
      type: 'transcript',
      role: 'user',
      transcriptType: 'final',
      transcript: 'weather?',
      timestamp: 1_678_901_232_100,
    });
    const res = await handler(
      new Request('http://127.0.0.1/vapi', {
        method: 'POST',
        headers: { 'x-vapi-secret': SECRET },
        body: fixtureText('vapi-tool-calls.json'),
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      results: [{ toolCallId: 'toolu_01DTPAzUm5Gk3zxrpJ969oMF', result: '18°C, clear' }],
    });
    // Vapi's time of the result (it includes the way back), not the 700 ms the handler took, ends the tool.
    await post({
      type: 'conversation-update',
      timestamp: 1_678_901_235_600,
      messages: [
        {
          role: 'tool_call_result',
          toolCallId: 'toolu_01DTPAzUm5Gk3zxrpJ969oMF',
          name: 'get_weather',
          result: '18°C, clear',
          time: 1_678_901_235_510,
          secondsFromStart: 5.5,
        },
      ],
    });
    const conv = h.vt.getConversation('call-uuid')!;
    const rec = conv.end();
    const tool = rec.turns[0]!.tools[0]!;
    expect(tool).toMatchObject({
      name: 'get_weather',
      arguments: { location: 'San Francisco' },
      result: '18°C, clear',
    });
    expect(tool.startedAt).toBe(1_678_901_234_567);
    expect(tool.durationMs).toBe(1_678_901_235_510 - 1_678_901_234_567);
  });

  it('passes a Response from onMessage through as is', async () => {
    const post = await serve({ onMessage: () => new Response('{"assistantId":"a"}', { status: 201 }) });
    const r = await post(JSON.stringify({ message: { type: 'assistant-request', call: { id: 'x' } } }));
    expect(r).toEqual({ status: 201, body: { assistantId: 'a' } });
  });
});

describe('bad input: the right status, no throw, nothing else lost', () => {
  it('answers 400 to malformed JSON and invalid UTF-8', async () => {
    const post = await serve();
    const r = await post('{"message": {"type": "hang"');
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('malformed JSON');
    expect((await post(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).status).toBe(400);
  });

  it('answers 400 with the reasons to a body that is not a Vapi message', async () => {
    const post = await serve();
    for (const body of [
      '[]',
      '5',
      '{"nope":1}',
      '{"message":5}',
      '{"message":{"type":7}}',
      '{"message":{}}',
    ]) {
      const r = await post(body);
      expect(r.status, body).toBe(400);
      expect(r.body.problems.length, body).toBeGreaterThan(0);
    }
    const r = await post(
      JSON.stringify({ message: { type: 'speech-update', role: 'user', status: 5, call: { id: 'c' } } }),
    );
    expect(r.status).toBe(400);
    expect(r.body.problems[0]).toMatch(/^message\.status: /);
    expect(h.diagnostics.some((d) => d.code === 'adapter_error')).toBe(true);
  });

  it('answers 200 to an unknown message type and still calls onMessage', async () => {
    const types: string[] = [];
    const post = await serve({ onMessage: (m) => void types.push(m.type) });
    const r = await post(
      JSON.stringify({ message: { type: 'some-future-type', call: { id: 'c' }, extra: { a: 1 } } }),
    );
    expect(r).toEqual({ status: 200, body: { ok: true } });
    expect(types).toEqual(['some-future-type']);
  });

  it('keeps the valid parts of a report with wrongly typed fields', async () => {
    const post = await serve();
    const body = fixture('vapi-end-of-call-report.json');
    const msg = body.message as {
      artifact: { messages: Record<string, unknown>[] };
      cost: unknown;
      endedReason: unknown;
    };
    msg.artifact.messages[1]!.time = 'not a number'; // greeting bot message: falls back on secondsFromStart
    msg.artifact.messages[6] = 'garbage' as never; // the goodbye: dropped
    msg.cost = 'cheap';
    msg.endedReason = 42;
    const r = await post(JSON.stringify(body));
    expect(r.status).toBe(200);
    const rec = h.conversations[0]!;
    expect(rec.turnCount).toBe(2);
    expect(rec.turns[1]!.e2eLatencyMs).toBe(5470);
    expect(rec.attributes['vapi.cost.total_usd']).toBe(0.1142); // from call.cost
  });

  it('answers 413 to a declared oversize body and to a streamed one, without reading it all', async () => {
    const post = await serve({ maxBodyBytes: 64 * 1024 });
    const big = JSON.stringify({ message: { type: 'hang', pad: 'x'.repeat(100 * 1024) } });
    expect((await post(big)).status).toBe(413);
    // Chunked, no content-length: the cap holds while the stream is read.
    const status = await new Promise<number>((ok, fail) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/vapi',
          method: 'POST',
          headers: { 'x-vapi-secret': SECRET, 'transfer-encoding': 'chunked' },
        },
        (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        },
      );
      req.on('error', (err) =>
        err.message.includes('EPIPE') || err.message.includes('ECONNRESET') ? undefined : fail(err),
      );
      for (let i = 0; i < 8; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    expect(status).toBe(413);
    // Nothing else lost: the next good request goes through.
    expect((await post(fixtureText('vapi-end-of-call-report.json'))).status).toBe(200);
    expect(h.conversations).toHaveLength(1);
  });

  it('answers 408 to a body that trickles past bodyTimeoutMs, and 503 with Retry-After when busy', async () => {
    const post = await serve({ bodyTimeoutMs: 400, maxConcurrentBodies: 1, maxQueuedBodies: 0 });
    const slow = rawRequest({
      port,
      path: '/vapi',
      headers: { 'x-vapi-secret': SECRET },
      body: { total: 100, chunkBytes: 1, intervalMs: 100 },
    });
    await new Promise((r) => setTimeout(r, 100));
    const busy = await rawRequest({
      port,
      path: '/vapi',
      headers: { 'x-vapi-secret': SECRET },
      body: { total: 10 },
    });
    expect(busy.status).toBe(503);
    expect(busy.headers['retry-after']).toBe('1');
    expect(JSON.parse(busy.body)).toMatchObject({ error: 'busy' });
    const timedOut = await slow;
    expect(timedOut.status).toBe(408);
    expect(JSON.parse(timedOut.body)).toEqual({
      error: 'request timeout',
      reason: 'body not received within 400 ms (bodyTimeoutMs)',
    });
    expect(timedOut.elapsedMs).toBeLessThan(2000);
    // Nothing else lost: the next message goes through.
    expect((await post(fixtureText('vapi-speech-update.json'))).status).toBe(200);
  });

  it('answers 405 to other methods and 500 when onMessage throws', async () => {
    const post = await serve({
      onMessage: () => {
        throw new Error('user bug');
      },
    });
    expect((await post('', {}, 'GET')).status).toBe(405);
    const r = await post(fixtureText('vapi-speech-update.json'));
    expect(r).toEqual({ status: 500, body: { error: 'onMessage failed' } });
    expect(h.diagnostics.some((d) => d.message.includes('user bug'))).toBe(true);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import { traceIdForConversation } from '@voxtrace/core';
import { createRetellWebhookHandler, signRetellPayload } from '@voxtrace/retell';
import express from 'express';
import type Retell from 'retell-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  API_KEY,
  attr,
  childrenOf,
  endMs,
  fixture,
  retellRequest,
  startMs,
  testVoxtrace,
  turnsOf,
} from './helpers.js';

type Call = Record<string, unknown>;
const analyzed = () => fixture<{ event: string; call: Call }>('retell-call_analyzed.json');
const START = 1703302407333;
const END = 1703302428855;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/retell`;
}

async function post(url: string, body: unknown, init: { key?: string; at?: number } = {}) {
  return fetch(retellRequest(url, body, init));
}

describe('call_analyzed fixture through the Node http handler', () => {
  async function run() {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    const url = await listen(createServer((req, res) => handler.node(req, res)));
    const res = await post(url, analyzed());
    return { ...t, handler, res };
  }

  it('answers 204 and produces one trace keyed by the call id', async () => {
    const { res, spans, named } = await run();
    expect(res.status).toBe(204);
    const [conv] = named('conversation');
    expect(named('conversation')).toHaveLength(1);
    const traceId = traceIdForConversation('Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6');
    expect(new Set(spans().map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(attr(conv, 'conversation.id')).toBe('Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6');
    expect(attr(conv, 'voice.platform')).toBe('retell');
    // Post-call replay ends at Retell's end_timestamp, not at the wall clock.
    expect(startMs(conv!)).toBe(START);
    expect(endMs(conv!)).toBe(END);
  });

  it('maps outcome, analysis, cost and latency summaries onto the conversation', async () => {
    const { named } = await run();
    const conv = named('conversation')[0];
    expect(conv?.attributes).toMatchObject({
      'voice.call.outcome': 'completed',
      'voice.call.task_completed': true,
      'retell.disconnection_reason': 'user_hangup',
      'retell.analysis.call_successful': true,
      'retell.analysis.user_sentiment': 'Positive',
      'retell.analysis.in_voicemail': false,
      'retell.cost.combined_cents': 70,
      'retell.cost.product.elevenlabs_tts_cents': 60,
      'retell.cost.total_duration_seconds': 60,
      'retell.duration_ms': 21522,
      'retell.latency.e2e.p50_ms': 650,
      'retell.latency.e2e.p99_ms': 1500,
      'retell.latency.e2e.num': 3,
      'retell.latency.llm_websocket_network_rtt.max_ms': 58,
      'retell.agent_id': 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD',
      'retell.call_type': 'phone_call',
      'voice.turn.count': 3,
    });
    // Phone numbers and metadata stay out of the trace.
    expect(JSON.stringify(conv?.attributes)).not.toContain('+12137771234');
    expect(JSON.stringify(conv?.attributes)).not.toContain('cust_12345');
  });

  it('builds the turns from word times anchored at start_timestamp', async () => {
    const { spans } = await run();
    const turns = turnsOf(spans());
    expect(turns.map((t) => attr(t, 'turn.initiator'))).toEqual(['agent', 'user', 'user']);
    // Greeting: first agent word at 0.5 s of call audio.
    expect(startMs(turns[0]!)).toBe(START + 500);
    // Turn 2: user 4.0–6.6 s, agent answers at 7.0 s → felt latency 400 ms.
    expect(startMs(turns[1]!)).toBe(START + 4000);
    expect(attr(turns[1], 'turn.e2e_latency_ms')).toBe(400);
    // Turn 3: user ends at 12.9 s, agent starts at 13.5 s → 600 ms.
    expect(attr(turns[2], 'turn.e2e_latency_ms')).toBe(600);
    expect(attr(turns[0], 'turn.e2e_latency_ms')).toBeUndefined();
  });

  it("attaches Retell's per-turn latencies, matched by order to the agent's answers", async () => {
    const { spans } = await run();
    const [greeting, second, third] = turnsOf(spans());
    expect(greeting?.attributes['retell.latency.e2e_ms']).toBeUndefined();
    expect(second?.attributes).toMatchObject({
      'retell.latency.e2e_ms': 400,
      'retell.latency.asr_ms': 90,
      'retell.latency.llm_ms': 210,
      'retell.latency.tts_ms': 140,
      'retell.latency.llm_websocket_network_rtt_ms': 38,
    });
    expect(third?.attributes).toMatchObject({
      'retell.latency.e2e_ms': 650,
      'retell.latency.asr_ms': 110,
      'retell.latency.llm_ms': 380,
      'retell.latency.tts_ms': 170,
      'retell.latency.llm_websocket_network_rtt_ms': 42,
    });
  });

  it("turns Retell's ASR/LLM/TTS figures into component spans with exactly those latencies", async () => {
    const { spans } = await run();
    const all = spans();
    const second = turnsOf(all)[1]!;
    const [llm] = childrenOf(all, second, 'llm');
    const [tts] = childrenOf(all, second, 'tts');
    const [stt] = childrenOf(all, second, 'stt');
    expect(attr(llm, 'llm.ttft_ms')).toBe(210);
    expect(attr(tts, 'tts.ttfb_ms')).toBe(140);
    expect(attr(stt, 'component.latency_ms')).toBe(90);
    for (const s of [llm, tts, stt]) expect(attr(s, 'retell.reconstructed')).toBe(true);
    // TTS's first byte is the first agent word (7.0 s); the LLM's first token starts the TTS.
    expect(startMs(tts!)).toBe(START + 7000 - 140);
    expect(startMs(llm!)).toBe(START + 7000 - 140 - 210);
    expect(attr(llm, 'retell.llm_websocket_network_rtt_ms')).toBe(38);
  });

  it('makes a tool span from transcript_with_tool_calls, timed by time_sec', async () => {
    const { spans } = await run();
    const all = spans();
    const tools = all.filter((s) => s.name === 'tool_call');
    expect(tools).toHaveLength(1);
    const tool = tools[0]!;
    expect(tool.attributes).toMatchObject({
      'gen_ai.tool.name': 'get_order_status',
      'gen_ai.tool.call.id': 'tool_call_abc123',
      'component.latency_ms': 2460,
      'retell.tool.timing': 'measured',
    });
    expect(startMs(tool)).toBe(START + 13410);
    expect(endMs(tool)).toBe(START + 15870);
    // It belongs to the third turn (the one that asked for the order).
    expect(tool.parentSpanContext?.spanId).toBe(turnsOf(all)[2]!.spanContext().spanId);
  });
});

describe('webhook responses', () => {
  function handlerWith(options: Partial<Parameters<typeof createRetellWebhookHandler>[1]> = {}) {
    const t = testVoxtrace();
    return { ...t, handler: createRetellWebhookHandler(t.vt, { apiKey: API_KEY, ...options }) };
  }
  const url = 'http://127.0.0.1/retell';

  it('401 with the reason for a missing or bad signature, and records nothing', async () => {
    const { handler, named, vt } = handlerWith();
    const raw = JSON.stringify(analyzed());
    const missing = await handler(new Request(url, { method: 'POST', body: raw }));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ reason: 'missing_header' });
    const wrongKey = await handler(retellRequest(url, raw, { key: 'other-key' }));
    expect(wrongKey.status).toBe(401);
    expect(await wrongKey.json()).toMatchObject({ reason: 'signature_mismatch' });
    const old = await handler(retellRequest(url, raw, { at: Date.now() - 6 * 60_000 }));
    expect(await old.json()).toMatchObject({ reason: 'timestamp_out_of_window' });
    await vt.shutdown();
    expect(named('conversation')).toHaveLength(0);
    expect(handler.stats().unauthorized).toEqual({
      missing_header: 1,
      signature_mismatch: 1,
      timestamp_out_of_window: 1,
    });
  });

  it('400 with the reason for a body that is not JSON or not a Retell call event', async () => {
    const { handler } = handlerWith();
    const notJson = await handler(retellRequest(url, '{"event":'));
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error).toMatch(/not JSON/);
    const noCallId = await handler(retellRequest(url, { event: 'call_ended', call: { agent_id: 'a' } }));
    expect(noCallId.status).toBe(400);
    expect((await noCallId.json()).error).toMatch(/call\.call_id/);
    const badTime = await handler(
      retellRequest(url, { event: 'call_ended', call: { call_id: 'c1', start_timestamp: 'yesterday' } }),
    );
    expect(badTime.status).toBe(400);
    expect((await badTime.json()).error).toMatch(/call\.start_timestamp/);
    const noEvent = await handler(retellRequest(url, { call: { call_id: 'c1' } }));
    expect((await noEvent.json()).error).toMatch(/event/);
    expect(handler.stats().malformed).toBe(4);
  });

  it('405 for another method', async () => {
    const { handler } = handlerWith();
    const res = await handler(new Request(url, { method: 'GET' }));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('413 when the body is over the cap, by Content-Length or while streaming', async () => {
    const { handler } = handlerWith({ maxBodyBytes: 1024 });
    const big = JSON.stringify({ event: 'call_ended', call: { call_id: 'c', pad: 'x'.repeat(4096) } });
    expect((await handler(retellRequest(url, big))).status).toBe(413);
    // A stream without Content-Length is cut while reading.
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(512));
      },
    });
    // A well-formed, fresh signature header: only the body can tell it is wrong, so the body is read.
    const headers = { 'x-retell-signature': signRetellPayload('', API_KEY) };
    const res = await handler(
      new Request(url, { method: 'POST', body: stream, headers, duplex: 'half' } as RequestInit & {
        duplex: 'half';
      }),
    );
    expect(res.status).toBe(413);
    // It stopped reading at the cap instead of draining an endless body.
    expect(pulled).toBeLessThan(10);
    expect(handler.stats().tooLarge).toBe(2);
  });

  it('413 over a real socket too (the answer is sent before the body is drained)', async () => {
    const { handler } = handlerWith({ maxBodyBytes: 1024 });
    const base = await listen(createServer((req, res) => handler.node(req, res)));
    const body = JSON.stringify({ event: 'call_ended', call: { call_id: 'c', pad: 'x'.repeat(2048) } });
    const res = await fetch(retellRequest(base, body));
    expect(res.status).toBe(413);
  });

  it('204 for events voxtrace does not use (chat events, transcript_updated)', async () => {
    const { handler, vt, named } = handlerWith();
    for (const body of [
      { event: 'chat_started', chat: { chat_id: 'x' } },
      { event: 'transcript_updated', call: analyzed().call },
    ]) {
      expect((await handler(retellRequest(url, body))).status).toBe(204);
    }
    await vt.shutdown();
    expect(named('conversation')).toHaveLength(0);
  });

  it("answers 200 with onEvent's value (e.g. call_inbound) and 500 when onEvent throws", async () => {
    let fail = true;
    const seen: string[] = [];
    const { handler, vt, named } = handlerWith({
      analysisWaitMs: 0,
      onEvent: async (body, info) => {
        seen.push(`${body.event}:${info.action}`);
        if (body.event === 'call_inbound') return { call_inbound: { override_agent_id: 'agent_x' } };
        if (fail) throw new Error('database down');
      },
    });
    const inbound = await handler(
      retellRequest(url, { event: 'call_inbound', call_inbound: { agent_id: 'a', from_number: '+1' } }),
    );
    expect(inbound.status).toBe(200);
    expect(await inbound.json()).toEqual({ call_inbound: { override_agent_id: 'agent_x' } });
    const body = analyzed();
    expect((await handler(retellRequest(url, body))).status).toBe(500);
    fail = false;
    // Retell retries; onEvent sees it again, voxtrace recorded it once.
    expect((await handler(retellRequest(url, body))).status).toBe(204);
    expect(seen).toEqual(['call_inbound:ignored', 'call_analyzed:recorded', 'call_analyzed:duplicate']);
    await vt.shutdown();
    expect(named('conversation')).toHaveLength(1);
    expect(named('turn')).toHaveLength(3);
  });

  it('reads the deprecated `data` envelope like `call`', async () => {
    const { handler, vt, named } = handlerWith();
    const body = analyzed();
    const res = await handler(retellRequest(url, { event: 'call_analyzed', data: body.call }));
    expect(res.status).toBe(204);
    await vt.shutdown();
    expect(named('conversation')).toHaveLength(1);
  });

  it('checks the signature header before reading the body: a bad one costs no body bytes', async () => {
    const { handler } = handlerWith();
    for (const header of [null, 'v=1,d=00', `v=${Date.now() - 600_000},d=${'ab'.repeat(32)}`]) {
      let pulled = 0;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            pulled++;
            controller.enqueue(new Uint8Array(1024));
          },
        },
        { highWaterMark: 0 },
      );
      const res = await handler(
        new Request(url, {
          method: 'POST',
          body,
          headers: header ? { 'x-retell-signature': header } : {},
          duplex: 'half',
        } as RequestInit & { duplex: 'half' }),
      );
      expect(res.status).toBe(401);
      expect(pulled).toBe(0);
    }
  });

  it('a configuration mistake throws at construction; requests never do', () => {
    const t = testVoxtrace();
    const create = (options: object) => () =>
      createRetellWebhookHandler(t.vt, options as Parameters<typeof createRetellWebhookHandler>[1]);
    expect(create({ apiKey: process.env.VOXTRACE_SURELY_UNSET_KEY })).toThrow(
      /apiKey is undefined: pass the Retell API key/,
    );
    expect(create({ apiKey: '' })).toThrow(/apiKey is empty/);
    expect(create({ apiKey: '   ' })).toThrow(/apiKey is empty/);
    expect(create({ apiKey: 42 })).toThrow(/apiKey is a number/);
    expect(create({ apiKey: API_KEY, maxConcurrentBodies: 0 })).toThrow(/maxConcurrentBodies/);
  });

  it('503 after close()', async () => {
    const { handler } = handlerWith();
    handler.close();
    expect((await handler(retellRequest(url, analyzed()))).status).toBe(503);
  });
});

describe('outcomes and partial payloads', () => {
  async function deliver(call: Call, event = 'call_analyzed') {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY, analysisWaitMs: 0 });
    const res = await handler(retellRequest('http://127.0.0.1/retell', { event, call }));
    expect(res.status).toBe(204);
    await t.vt.shutdown();
    return { ...t, conv: t.named('conversation')[0]!, handler };
  }

  it("Retell's docs call_ended sample (no transcript): a conversation without turns, completed", async () => {
    const body = fixture<{ call: Call }>('retell-call_ended-docs-sample.json');
    const { conv, named } = await deliver(body.call, 'call_ended');
    expect(named('turn')).toHaveLength(0);
    expect(conv.attributes).toMatchObject({
      'voice.call.outcome': 'completed',
      'retell.call_status': 'registered',
    });
    expect(startMs(conv)).toBe(1714608475945);
    expect(endMs(conv)).toBe(1714608491736);
    expect(conv.attributes['voice.call.task_completed']).toBeUndefined();
  });

  it('an LLM WebSocket failure → outcome error, the llm layer on the last turn, ERROR status', async () => {
    const { call } = analyzed();
    const { conv, spans } = await deliver({
      ...call,
      disconnection_reason: 'error_llm_websocket_lost_connection',
    });
    expect(conv.attributes['voice.call.outcome']).toBe('error');
    expect(conv.status.code).toBe(SpanStatusCode.ERROR);
    const last = turnsOf(spans()).at(-1)!;
    expect(last.attributes['turn.error_layers']).toEqual(['llm']);
    const errorSpan = childrenOf(spans(), last, 'llm').find((s) => s.status.code === SpanStatusCode.ERROR);
    expect(errorSpan?.attributes['component.error']).toMatch(/error_llm_websocket_lost_connection/);
  });

  it('a call nobody answered (no call_started, no start time) → unanswered, no turns', async () => {
    const { conv, named } = await deliver(
      {
        call_id: 'dial-1',
        call_status: 'not_connected',
        disconnection_reason: 'dial_no_answer',
        end_timestamp: 1_700_000_000_000,
      },
      'call_ended',
    );
    expect(conv.attributes['voice.call.outcome']).toBe('unanswered');
    expect(named('turn')).toHaveLength(0);
  });

  it('voicemail from call_analysis.in_voicemail', async () => {
    const { call } = analyzed();
    const { conv } = await deliver({
      ...call,
      call_analysis: { call_successful: false, in_voicemail: true, user_sentiment: 'Neutral' },
    });
    expect(conv.attributes).toMatchObject({
      'voice.call.outcome': 'voicemail',
      'voice.call.task_completed': false,
      'retell.analysis.in_voicemail': true,
    });
  });

  it('fewer latency values than turns: the turns without one simply lack the attribute', async () => {
    const { call } = analyzed();
    const latency = call.latency as Record<string, { values: number[] }>;
    const { spans } = await deliver({ ...call, latency: { e2e: { ...latency.e2e, values: [400] } } });
    const [, second, third] = turnsOf(spans());
    expect(second?.attributes['retell.latency.e2e_ms']).toBe(400);
    expect(third?.attributes['retell.latency.e2e_ms']).toBeUndefined();
    expect(third?.attributes['turn.e2e_latency_ms']).toBe(600);
  });

  it('a bad transcript item is skipped with a diagnostic; the rest of the call is kept', async () => {
    const { call } = analyzed();
    const transcript = [...(call.transcript_object as unknown[])];
    transcript[3] = { role: 'user', content: 42 };
    const diagnostics: string[] = [];
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, {
      apiKey: API_KEY,
      onDiagnostic: (d) => diagnostics.push(d.message),
    });
    const res = await handler(
      retellRequest('http://127.0.0.1/retell', {
        event: 'call_analyzed',
        call: { ...call, transcript_object: transcript },
      }),
    );
    expect(res.status).toBe(204);
    await t.vt.shutdown();
    expect(diagnostics.join('\n')).toMatch(/transcript_object\.3\.content/);
    // Without the second user utterance the agent's reply joins turn 2: two turns remain.
    expect(turnsOf(t.spans())).toHaveLength(2);
    expect(t.named('tool_call')).toHaveLength(1);
  });

  it('tool entries without time_sec are placed between the neighbouring words', async () => {
    const { call } = analyzed();
    const withTools = (call.transcript_with_tool_calls as Record<string, unknown>[]).map((e) => {
      const { time_sec: _drop, ...rest } = e;
      return rest;
    });
    const { named } = await deliver({ ...call, transcript_with_tool_calls: withTools });
    const tool = named('tool_call')[0]!;
    // After "…for you." (ends 14.8 s), before "Your order…" (starts 16.4 s).
    expect(startMs(tool)).toBe(START + 14800);
    expect(endMs(tool)).toBe(START + 16400);
    expect(tool.attributes['retell.tool.timing']).toBe('word_gap');
  });

  it('an SDK-typed call (tool utterances without time): the tool span says its length is not measured', async () => {
    const words = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        word: `w${i}`,
        start: from + i * 0.4,
        end: from + i * 0.4 + 0.3,
      }));
    const call: Retell.WebCallResponse = {
      call_id: 'call_sdk_typed_tool',
      agent_id: 'agent_1',
      agent_version: 1,
      call_type: 'web_call',
      access_token: 'token',
      call_status: 'ended',
      start_timestamp: START,
      end_timestamp: START + 12_000,
      transcript_with_tool_calls: [
        { role: 'user', content: 'Where is my order?', words: words(1, 4) },
        { role: 'agent', content: 'Let me check.', words: words(3, 3) },
        { role: 'tool_call_invocation', tool_call_id: 'tc1', name: 'lookup', arguments: '{}' },
        { role: 'tool_call_result', tool_call_id: 'tc1', content: 'shipped', successful: true },
        { role: 'agent', content: 'It shipped.', words: words(6, 2) },
      ],
    };
    const { named } = await deliver(call as unknown as Call);
    const tool = named('tool_call')[0]!;
    // Drawn between "…check." (ends 4.1 s) and "It shipped." (6.0 s), and labelled as such.
    expect([startMs(tool) - START, endMs(tool) - START]).toEqual([4100, 6000]);
    expect(tool.attributes['retell.tool.timing']).toBe('word_gap');
  });

  it('an unsuccessful tool result marks the tool span as failed', async () => {
    const { call } = analyzed();
    const withTools = (call.transcript_with_tool_calls as Record<string, unknown>[]).map((e) =>
      e.role === 'tool_call_result' ? { ...e, successful: false } : e,
    );
    const { named } = await deliver({ ...call, transcript_with_tool_calls: withTools });
    expect(named('tool_call')[0]?.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('Express adapter', () => {
  it('works on a real Express app, with or without express.raw()', async () => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY, analysisWaitMs: 0 });
    const app = express();
    app.post('/retell', handler.express);
    app.post('/raw/retell', express.raw({ type: 'application/json' }), handler.express);
    const base = (await listen(createServer(app))).replace(/\/retell$/, '');
    const body = analyzed();
    expect((await post(`${base}/retell`, body)).status).toBe(204);
    const second = { event: 'call_analyzed', call: { ...body.call, call_id: 'second-call' } };
    expect((await post(`${base}/raw/retell`, second)).status).toBe(204);
    expect((await fetch(`${base}/retell`, { method: 'POST', body: '{}' })).status).toBe(401);
    await t.vt.shutdown();
    expect(
      t
        .named('conversation')
        .map((s) => s.attributes['conversation.id'])
        .sort(),
    ).toEqual(['Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6', 'second-call']);
  });

  it('refuses clearly when express.json() already consumed the signed bytes', async () => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    const app = express();
    app.post('/retell', express.json(), handler.express);
    const errors: string[] = [];
    app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      errors.push(err.message);
      res.status(500).end();
    });
    const url = await listen(createServer(app));
    const raw = JSON.stringify(analyzed());
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-retell-signature': signRetellPayload(raw, API_KEY) },
      body: raw,
    });
    expect(res.status).toBe(500);
    expect(errors[0]).toMatch(/express\.raw/);
  });
});

import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode } from '@opentelemetry/api';
import { type ConversationRecord, traceIdForConversation } from '@voxtrace/core';
import {
  createRetellWebhookHandler,
  type InstrumentRetellLlmSocketOptions,
  instrumentRetellLlmSocket,
  type RetellLlmSocketInstrumentation,
} from '@voxtrace/retell';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import {
  API_KEY,
  attr,
  childrenOf,
  fixture,
  fixturePath,
  retellRequest,
  testVoxtrace,
  turnsOf,
} from './helpers.js';

type Frame = { dir: 'server->retell' | 'retell->server'; msg: Record<string, unknown> };
const CALL_ID = 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6';
const T0 = 1_703_302_407_500;
const session: Frame[] = readFileSync(fixturePath('retell-custom-llm-ws-session.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

/** The script as steps: what the server sends first, then each Retell frame and the server's answers to it. */
function steps(script: Frame[]) {
  const initial: Record<string, unknown>[] = [];
  const out: { incoming: Record<string, unknown>; replies: Record<string, unknown>[] }[] = [];
  for (const f of script) {
    if (f.dir === 'retell->server') out.push({ incoming: f.msg, replies: [] });
    else (out.at(-1)?.replies ?? initial).push(f.msg);
  }
  return { initial, steps: out };
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/**
 * Replays a script over a real `ws` server: the server (your custom-LLM server, instrumented) sends its
 * scripted answers after each frame; the client plays Retell. A fake clock moves 300 ms before each Retell
 * frame and 40 ms before each server frame, so every latency below is exact.
 */
async function replay(
  script: Frame[],
  opts: {
    t?: ReturnType<typeof testVoxtrace>;
    instrument?: Partial<InstrumentRetellLlmSocketOptions>;
    /** How the client (Retell) ends: close normally (default), drop the connection, or leave it to `close()`. */
    end?: 'close' | 'terminate' | 'keep';
    webhook?: boolean;
  } = {},
) {
  const clock = { now: T0 };
  const now = () => clock.now;
  const t = opts.t ?? testVoxtrace({ now });
  const records: ConversationRecord[] = [];
  t.vt.on('conversation', (r) => records.push(r));
  const { initial, steps: plan } = steps(script);
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));

  // Retell frames the server has handled: the next one waits for it, answered or not.
  const processed = { count: 0, wake: () => {} };
  let instrumentation: RetellLlmSocketInstrumentation | undefined;
  let serverClosed!: Promise<void>;
  const userSaw: unknown[] = [];
  wss.on('connection', (ws, req) => {
    instrumentation = instrumentRetellLlmSocket(ws, t.vt, {
      callId: req.url!.slice(1),
      now,
      provider: 'openai',
      model: 'gpt-4o-mini',
      ...opts.instrument,
    });
    serverClosed = new Promise((r) => ws.on('close', () => r()));
    const send = (msgs: Record<string, unknown>[]) => {
      for (const m of msgs) {
        clock.now += 40;
        ws.send(JSON.stringify(m));
        if (opts.instrument?.outgoing === 'manual') instrumentation!.observeOutgoing(JSON.stringify(m));
      }
    };
    let k = 0;
    ws.on('message', (data) => {
      userSaw.push(String(data));
      send(plan[k++]?.replies ?? []);
      processed.count++;
      processed.wake();
    });
    send(initial);
  });

  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/${CALL_ID}`);
  const received: unknown[] = [];
  let wake = () => {};
  client.on('message', (d) => {
    received.push(JSON.parse(String(d)));
    wake();
  });
  const until = (n: number, handled: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (received.length >= n && processed.count >= handled) return resolve();
        wake = check;
        processed.wake = check;
      };
      check();
    });
  await new Promise((r) => client.once('open', r));
  let expected = initial.length;
  await until(expected, 0);
  for (const [i, step] of plan.entries()) {
    clock.now += 300;
    client.send(typeof step.incoming === 'string' ? step.incoming : JSON.stringify(step.incoming));
    expected += step.replies.length;
    await until(expected, i + 1);
  }
  const close = async () => {
    if (opts.end === 'terminate') client.terminate();
    else client.close(1000);
    await serverClosed;
  };
  if (opts.end !== 'keep') await close();
  return { ...t, records, clock, instrumentation: instrumentation!, received, userSaw, close };
}

const llmSpans = (spans: ReturnType<ReturnType<typeof testVoxtrace>['spans']>) =>
  spans
    .filter((s) => s.name === 'llm')
    .sort((a, b) => Number(attr(a, 'retell.response_id')) - Number(attr(b, 'retell.response_id')));

describe('the custom-LLM WebSocket session fixture, replayed over a real ws server', () => {
  it('gives one llm span per response_id, with TTFT, and the unanswered reminder cancelled', async () => {
    const { spans, records } = await replay(session);
    const llm = llmSpans(spans());
    expect(llm.map((s) => attr(s, 'retell.response_id'))).toEqual([0, 1, 2, 3]);
    // Begin message: timed from the socket's open; config (+40) then response 0 (+40).
    expect(attr(llm[0], 'retell.interaction_type')).toBe('begin_message');
    expect(attr(llm[0], 'llm.ttft_ms')).toBe(80);
    // response_required 1 → first chunk 40 ms later; complete 40 ms after that.
    expect(attr(llm[1], 'llm.ttft_ms')).toBe(40);
    expect(attr(llm[1], 'component.latency_ms')).toBe(40);
    expect(attr(llm[2], 'llm.ttft_ms')).toBe(40);
    for (const s of llm.slice(0, 3)) expect(attr(s, 'component.cancelled')).toBeUndefined();
    // The reminder was never answered before the call ended.
    expect(attr(llm[3], 'retell.interaction_type')).toBe('reminder_required');
    expect(attr(llm[3], 'component.cancelled')).toBe(true);
    expect(attr(llm[3], 'retell.cancel_reason')).toBe('socket_closed');
    expect(attr(llm[3], 'llm.ttft_ms')).toBeUndefined();
    expect(llm[1]?.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
    });
    // The socket closed normally and no webhook handler is attached: the call ends with it.
    expect(records.map((r) => [r.id, r.outcome, r.turnCount])).toEqual([[CALL_ID, 'completed', 3]]);
  });

  it("marks the user's turns and the agent's speech, so core computes the live wait", async () => {
    const { spans } = await replay(session);
    const turns = turnsOf(spans());
    expect(turns.map((s) => attr(s, 'turn.initiator'))).toEqual(['agent', 'user', 'user']);
    // response_required 1 (user done) → update_only agent_turn 380 ms later (two chunks, then 300 ms).
    expect(attr(turns[1], 'turn.e2e_latency_ms')).toBe(380);
    // The fixture has no agent_turn for the third turn: its wait is unknown, not invented.
    expect(attr(turns[2], 'turn.e2e_latency_ms')).toBeUndefined();
    expect(attr(turns[1], 'turn.interrupted')).toBe(false);
    // The user's words are the LLM's input (redacted by default).
    const [llm1] = childrenOf(spans(), turns[1]!, 'llm');
    expect(attr(llm1, 'llm.input')).toBe("Hi, I'd like to check the status of my recent order.");
  });

  it('turns the tool invocation and result into a tool span of the third turn', async () => {
    const { spans } = await replay(session);
    const all = spans();
    const tools = all.filter((s) => s.name === 'tool_call');
    expect(tools).toHaveLength(1);
    expect(tools[0]?.attributes).toMatchObject({
      'gen_ai.tool.name': 'get_order_status',
      'gen_ai.tool.call.id': 'tool_call_abc123',
      'component.latency_ms': 40,
    });
    expect(tools[0]?.parentSpanContext?.spanId).toBe(turnsOf(all)[2]!.spanContext().spanId);
  });

  it('puts every span in the trace derived from the call id, and call_details on the conversation', async () => {
    const { spans, named } = await replay(session);
    expect(new Set(spans().map((s) => s.spanContext().traceId))).toEqual(
      new Set([traceIdForConversation(CALL_ID)]),
    );
    expect(named('conversation')[0]?.attributes).toMatchObject({
      'voice.platform': 'retell',
      'retell.agent_id': 'oBeDLoLOeuAbiuaMFXRtDOLriTJ5tSxD',
      'retell.direction': 'inbound',
    });
  });

  it('never changes what is sent, and the user handler sees every frame', async () => {
    const { received, userSaw } = await replay(session);
    expect(received).toEqual(session.filter((f) => f.dir === 'server->retell').map((f) => f.msg));
    expect(userSaw).toHaveLength(session.filter((f) => f.dir === 'retell->server').length);
  });

  it('works the same with outgoing: manual (send left alone, frames passed to observeOutgoing)', async () => {
    const { spans, instrumentation } = await replay(session, { instrument: { outgoing: 'manual' } });
    expect(llmSpans(spans()).map((s) => attr(s, 'llm.ttft_ms'))).toEqual([80, 40, 40, undefined]);
    expect(instrumentation.conversation.id).toBe(CALL_ID);
  });
});

describe('cancellation', () => {
  const f = (dir: Frame['dir'], msg: Record<string, unknown>): Frame => ({ dir, msg });
  const user = (content: string) => ({ role: 'user', content });
  const agent = (content: string) => ({ role: 'agent', content });

  it('a newer response_id cancels the open response; its late chunks are ignored', async () => {
    const { spans } = await replay([
      f('retell->server', {
        interaction_type: 'response_required',
        response_id: 1,
        transcript: [user('I want')],
      }),
      f('server->retell', {
        response_type: 'response',
        response_id: 1,
        content: 'Sure',
        content_complete: false,
      }),
      f('retell->server', {
        interaction_type: 'response_required',
        response_id: 2,
        transcript: [user('I want to cancel my order')],
      }),
      f('server->retell', {
        response_type: 'response',
        response_id: 1,
        content: ' thing',
        content_complete: true,
      }),
      f('server->retell', {
        response_type: 'response',
        response_id: 2,
        content: 'Of course.',
        content_complete: true,
      }),
    ]);
    const llm = llmSpans(spans());
    expect(llm.map((s) => [attr(s, 'retell.response_id'), attr(s, 'component.cancelled') ?? false])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(attr(llm[0], 'retell.cancel_reason')).toBe('superseded');
    expect(attr(llm[0], 'llm.ttft_ms')).toBe(40);
    expect(attr(llm[0], 'llm.output')).toBe('Sure');
    // The user went on talking before the agent answered: one turn.
    expect(turnsOf(spans())).toHaveLength(1);
  });

  it('a user turn while the response still streams cancels it and counts as a barge-in', async () => {
    const { spans, records } = await replay([
      f('retell->server', {
        interaction_type: 'response_required',
        response_id: 1,
        transcript: [user('Hello')],
      }),
      f('server->retell', {
        response_type: 'response',
        response_id: 1,
        content: 'Hi! Let me',
        content_complete: false,
      }),
      f('retell->server', {
        interaction_type: 'update_only',
        transcript: [user('Hello'), agent('Hi!')],
        turntaking: 'agent_turn',
      }),
      f('retell->server', {
        interaction_type: 'update_only',
        transcript: [user('Hello'), agent('Hi!'), user('Wait')],
        turntaking: 'user_turn',
      }),
    ]);
    const [llm] = llmSpans(spans());
    expect(attr(llm, 'component.cancelled')).toBe(true);
    expect(attr(llm, 'retell.cancel_reason')).toBe('user_turn');
    const turns = turnsOf(spans());
    expect(turns).toHaveLength(2);
    expect(attr(turns[0], 'turn.interrupted')).toBe(true);
    expect(records[0]?.interruptions).toBe(1);
  });

  it('an abnormal close ends the call as an LLM-layer error and cancels open tools', async () => {
    const { spans, records } = await replay(
      [
        f('retell->server', {
          interaction_type: 'response_required',
          response_id: 1,
          transcript: [user('Order?')],
        }),
        f('server->retell', {
          response_type: 'tool_call_invocation',
          tool_call_id: 't1',
          name: 'lookup',
          arguments: '{}',
        }),
      ],
      { end: 'terminate' },
    );
    expect(records[0]?.outcome).toBe('error');
    const tool = spans().find((s) => s.name === 'tool_call');
    expect(attr(tool, 'component.cancelled')).toBe(true);
    const conv = spans().find((s) => s.name === 'conversation');
    expect(conv?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('unreadable frames become diagnostics; nothing throws and the session goes on', async () => {
    const diagnostics: string[] = [];
    const { spans } = await replay(
      [
        f('retell->server', 'not json' as unknown as Record<string, unknown>),
        f('retell->server', { interaction_type: 'response_required', transcript: [] }),
        f('retell->server', { interaction_type: 'something_new' }),
        f('retell->server', {
          interaction_type: 'response_required',
          response_id: 1,
          transcript: [user('Hi')],
        }),
        f('server->retell', { response_type: 'response', response_id: 'x', content: 'Hello' }),
        f('server->retell', {
          response_type: 'response',
          response_id: 1,
          content: 'Hello',
          content_complete: true,
        }),
      ],
      { instrument: { onDiagnostic: (d) => diagnostics.push(d.message) } },
    );
    expect(diagnostics).toHaveLength(3);
    expect(diagnostics.join('\n')).toMatch(/unreadable frame/);
    expect(diagnostics.join('\n')).toMatch(/malformed response_required/);
    expect(diagnostics.join('\n')).toMatch(/malformed outgoing response/);
    // The malformed chunk (+40) is no token Retell could speak: the first token is the valid one (+80).
    expect(llmSpans(spans()).map((s) => attr(s, 'llm.ttft_ms'))).toEqual([80]);
  });
});

describe('live socket and post-call webhook in one process', () => {
  it('one conversation: the live turns, completed by call_analyzed with outcome and analysis', async () => {
    const clock = { now: T0 };
    const t = testVoxtrace({ now: () => clock.now });
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    // The socket closes first; with a webhook handler attached the conversation waits for it.
    const r = await replay(session, { t });
    expect(r.records).toHaveLength(0);
    const body = fixture('retell-call_analyzed.json');
    expect((await handler(retellRequest('http://127.0.0.1/retell', body))).status).toBe(204);

    expect(r.named('conversation')).toHaveLength(1);
    const conv = r.named('conversation')[0]!;
    expect(conv.attributes).toMatchObject({
      'voice.call.outcome': 'completed',
      'voice.call.task_completed': true,
      'retell.analysis.user_sentiment': 'Positive',
      'retell.latency.llm.p50_ms': 380,
      'voice.turn.count': 3,
    });
    // ONE set of turns: the live ones (no reconstructed components from the transcript).
    expect(turnsOf(r.spans())).toHaveLength(3);
    expect(llmSpans(r.spans())).toHaveLength(4);
    expect(r.spans().some((s) => s.attributes['retell.reconstructed'])).toBe(false);
    expect(r.named('tool_call')).toHaveLength(1);
    // Ends at Retell's end_timestamp (after the live events here).
    expect(conv.endTime[0] * 1000 + conv.endTime[1] / 1e6).toBe(1703302428855);
  });

  it('call_ended while the socket is still open: the close does not end it early', async () => {
    const clock = { now: T0 };
    const t = testVoxtrace({ now: () => clock.now });
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    const { call } = fixture<{ call: Record<string, unknown> }>('retell-call_analyzed.json');
    const { call_analysis: _drop, ...ended } = call;
    const r = await replay(session.slice(0, 8), { t, end: 'keep' });
    await handler(retellRequest('http://127.0.0.1/retell', { event: 'call_ended', call: ended }));
    await r.close();
    // Waiting for the analysis, whatever the socket did.
    expect(r.named('conversation')).toHaveLength(0);
    await handler(retellRequest('http://127.0.0.1/retell', { event: 'call_analyzed', call }));
    expect(r.named('conversation')).toHaveLength(1);
    expect(turnsOf(r.spans())).toHaveLength(2);
    handler.close();
  });
});

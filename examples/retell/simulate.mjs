// Plays Retell against the example server, offline: starts it on 127.0.0.1 (an ephemeral port), opens the
// custom-LLM WebSocket for a call, talks through two turns, then posts the signed call_started,
// call_ended (twice, as a retry) and call_analyzed webhooks. Prints what voxtrace recorded.
//
//   node examples/retell/simulate.mjs
import { createVoxtrace } from '@voxtrace/core';
import { signRetellPayload } from '@voxtrace/retell';
import WebSocket from 'ws';
import { startRetellServer } from './server.mjs';

const apiKey = 'key_simulated';
const callId = `call_sim_${Date.now().toString(36)}`;
const vt = createVoxtrace({ serviceName: 'retell-example', otlp: false });
vt.on('turn', (t) => {
  const llm = t.llm.map((c) => `${c.ttftMs ?? '-'} ms${c.cancelled ? ' (cancelled)' : ''}`).join(', ');
  console.log(`turn #${t.index} (${t.initiator}): wait ${t.e2eLatencyMs ?? '-'} ms, LLM TTFT ${llm || '-'}`);
});
const ended = new Promise((resolve) => vt.on('conversation', resolve));
const server = await startRetellServer({ vt, apiKey, port: 0 });

// --- Retell dials the custom-LLM WebSocket ----------------------------------------------------------
const start = Date.now();
const ws = new WebSocket(`${server.llmWebsocketUrl}/${callId}`);
const replies = [];
ws.on('message', (d) => replies.push(JSON.parse(String(d))));
await new Promise((r) => ws.once('open', r));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const completed = (id) =>
  new Promise((resolve) => {
    const check = () =>
      replies.some((m) => m.response_id === id && m.content_complete) ? resolve() : setTimeout(check, 10);
    check();
  });
const send = (msg) => ws.send(JSON.stringify(msg));
const transcript = [{ role: 'agent', content: 'Hi! How can I help you today?' }];

await completed(0);
for (const [id, said] of [
  [1, 'I would like to check my order.'],
  [2, 'Thanks, that is all.'],
]) {
  transcript.push({ role: 'user', content: said });
  send({ interaction_type: 'update_only', transcript, turntaking: 'user_turn' });
  await sleep(600); // the caller speaks
  send({ interaction_type: 'response_required', response_id: id, transcript });
  await completed(id);
  await sleep(80); // Retell's TTS starts speaking
  send({ interaction_type: 'update_only', transcript, turntaking: 'agent_turn' });
  transcript.push({ role: 'agent', content: `You said: ${said}` });
  await sleep(400);
}
ws.close(1000);
const end = Date.now();

// --- Retell's webhooks ---------------------------------------------------------------------------------
const call = {
  call_id: callId,
  agent_id: 'agent_sim',
  call_type: 'web_call',
  call_status: 'ended',
  start_timestamp: start,
  end_timestamp: end,
  disconnection_reason: 'user_hangup',
  latency: { e2e: { p50: 700, p90: 820, num: 2, values: [690, 820] } },
  call_cost: { combined_cost: 12, product_costs: [{ product: 'retell_platform', cost: 12 }] },
};
async function webhook(event, body = call) {
  const raw = JSON.stringify({ event, call: body });
  const res = await fetch(server.webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': signRetellPayload(raw, apiKey) },
    body: raw,
  });
  console.log(`${event} → ${res.status}`);
}
await webhook('call_started', {
  call_id: callId,
  agent_id: 'agent_sim',
  call_type: 'web_call',
  start_timestamp: start,
});
await webhook('call_ended');
await webhook('call_ended'); // Retell's retry: recorded once
await webhook('call_analyzed', {
  ...call,
  call_analysis: { call_successful: true, user_sentiment: 'Positive', in_voicemail: false },
});

const record = await ended;
console.log(
  `call ${record.id}: ${record.outcome}, task completed: ${record.taskCompleted}, ${record.turnCount} turns, trace ${record.traceId}`,
);
await server.close();

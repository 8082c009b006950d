// A Vapi server URL on 127.0.0.1 instrumented with voxtrace.
//
//   npm run build && node examples/vapi/server.mjs                  # listens on PORT (default 8787)
//   npm run build && node examples/vapi/server.mjs --send-fixtures  # ephemeral port, POSTs fixtures/vapi, exits
//
// Every message is verified (X-Vapi-Secret = VAPI_SECRET, default `dev-secret`), observed, and answered:
// `tool-calls` get a result per call. Finished turns and calls are printed; spans go over OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVoxtrace } from '@voxtrace/core';
import { createVapiWebhookHandler, toNodeHandler } from '@voxtrace/vapi';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = resolve(here, '../../fixtures/vapi');
const sendFixtures = process.argv.includes('--send-fixtures');
const secret = process.env.VAPI_SECRET ?? 'dev-secret';
const port = sendFixtures ? 0 : Number(process.env.PORT ?? 8787);

const vt = createVoxtrace({
  serviceName: 'vapi-example',
  onDiagnostic: (d) => console.error(`[voxtrace] ${d.code}: ${d.message}`),
});

vt.on('turn', (t) => {
  const felt =
    t.e2eLatencyMs !== null
      ? `felt ${t.e2eLatencyMs} ms`
      : t.initiator === 'agent'
        ? 'the agent spoke first'
        : 'no answer';
  const vapi = t.attributes['vapi.turn_latency_ms'];
  const tools = t.tools.map((c) => `${c.name} ${c.durationMs ?? '?'} ms`).join(', ');
  const bottleneck = t.bottleneck
    ? `, bottleneck ${t.bottleneck.component} ${Math.round(t.bottleneck.share * 100)}%`
    : '';
  console.log(
    `  turn ${t.index} (${t.initiator}): ${felt}${vapi === undefined ? '' : ` (Vapi's figure ${vapi} ms)`}${bottleneck}${tools ? `; tools: ${tools}` : ''}`,
  );
});
vt.on('conversation', (c) => {
  const cost = c.attributes['vapi.cost.total_usd'];
  const how = c.endReason === 'ended' ? `${Math.round(c.durationMs / 1000)} s` : `closed by ${c.endReason}`;
  console.log(
    `call ${c.id}: ${c.outcome}, ${c.turnCount} turns, ${how}${cost === undefined ? '' : `, $${cost}`} (trace ${c.traceId})`,
  );
});

const handler = createVapiWebhookHandler(vt, {
  auth: { type: 'secret', secret },
  onMessage: (message) => {
    if (message.type === 'tool-calls') {
      const calls = Array.isArray(message.toolCallList) ? message.toolCallList : [];
      return {
        results: calls.map((c) => ({ toolCallId: c.id, result: `done: ${c.function?.name ?? c.name}` })),
      };
    }
    return undefined;
  },
});

const server = createServer(toNodeHandler(handler));
server.listen(port, '127.0.0.1', async () => {
  const url = `http://127.0.0.1:${server.address().port}/vapi`;
  console.log(`Vapi server URL listening on ${url} (X-Vapi-Secret: ${sendFixtures ? '…' : secret})`);
  if (!sendFixtures) return;
  // In the order Vapi sends them: the call starts, live messages, the call ends, the report.
  const order = [
    'status-update-in-progress',
    'speech-update',
    'tool-calls',
    'status-update-ended',
    'end-of-call-report',
  ];
  const rank = (n) => order.findIndex((o) => n.includes(o)) >>> 0;
  const names = readdirSync(fixtures)
    .filter((n) => n.endsWith('.json'))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  for (const name of names) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-vapi-secret': secret },
      body: readFileSync(resolve(fixtures, name)),
    });
    console.log(`POST ${name} → ${res.status} ${await res.text()}`);
  }
  server.close();
  await vt.shutdown();
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    vt.shutdown().then(() => process.exit(0));
  });
}

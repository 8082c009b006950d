// A Retell webhook endpoint and a custom-LLM WebSocket server in one process (as Retell's own Node demo
// runs them), both instrumented with voxtrace on the same instance so each call is one trace.
//
//   RETELL_API_KEY=key_... node examples/retell/server.mjs
//
// Webhook URL:          http://127.0.0.1:8080/retell/webhook
// LLM WebSocket URL:    ws://127.0.0.1:8080/llm-websocket   (Retell appends /{call_id})
// Spans go over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; each finished turn is printed.
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { createVoxtrace } from '@voxtrace/core';
import { createRetellWebhookHandler, instrumentRetellLlmSocket } from '@voxtrace/retell';
import { WebSocketServer } from 'ws';

/**
 * Starts the server. Returns its base URL and a `close()` that ends pending calls, stops the server and
 * flushes voxtrace.
 */
export async function startRetellServer({ vt, apiKey, port = 8080, host = '127.0.0.1', log = console.log }) {
  const webhook = createRetellWebhookHandler(vt, {
    apiKey,
    onDiagnostic: (d) => log(`[voxtrace] ${d.code}: ${d.message}`),
  });
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/retell/webhook') return void webhook.node(req, res);
    res.statusCode = 404;
    res.end();
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const match = /^\/llm-websocket\/([^/?]+)$/.exec(req.url ?? '');
    if (!match) return void socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      instrumentRetellLlmSocket(ws, vt, { callId: match[1], provider: 'example', model: 'echo-1' });
      serveLlm(ws);
    });
  });

  await new Promise((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const base = `http://${host}:${address.port}`;
  return {
    url: base,
    webhookUrl: `${base}/retell/webhook`,
    llmWebsocketUrl: `ws://${host}:${address.port}/llm-websocket`,
    async close() {
      webhook.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise((resolve) => server.close(resolve));
      await vt.shutdown();
    },
  };
}

/** Your custom LLM, here a stand-in that streams a short answer to whatever the user said. */
function serveLlm(ws) {
  const send = (msg) => ws.send(JSON.stringify(msg));
  send({ response_type: 'config', config: { auto_reconnect: true, call_details: true } });
  send({
    response_type: 'response',
    response_id: 0,
    content: 'Hi! How can I help you today?',
    content_complete: true,
  });
  ws.on('message', (data) => {
    let msg;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    if (msg.interaction_type === 'ping_pong') send({ response_type: 'ping_pong', timestamp: msg.timestamp });
    if (msg.interaction_type !== 'response_required' && msg.interaction_type !== 'reminder_required') return;
    const id = msg.response_id;
    const heard = msg.transcript?.at(-1)?.role === 'user' ? msg.transcript.at(-1).content : '';
    // A real server streams its LLM's tokens; here two chunks, the first after a "model" delay.
    setTimeout(
      () =>
        send({ response_type: 'response', response_id: id, content: 'You said: ', content_complete: false }),
      150,
    );
    setTimeout(
      () =>
        send({
          response_type: 'response',
          response_id: id,
          content: heard || 'Are you still there?',
          content_complete: true,
        }),
      250,
    );
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const apiKey = process.env.RETELL_API_KEY;
  if (!apiKey) {
    console.error('Set RETELL_API_KEY (a Retell API key with the webhook badge).');
    process.exit(1);
  }
  const vt = createVoxtrace({ serviceName: 'retell-example' });
  vt.on('turn', (t) =>
    console.log(
      `turn ${t.conversationId} #${t.index}: wait ${t.e2eLatencyMs ?? '?'} ms, LLM TTFT ${t.llm[0]?.ttftMs ?? '?'} ms`,
    ),
  );
  vt.on('conversation', (c) => console.log(`call ${c.id}: ${c.outcome}, ${c.turnCount} turns`));
  const server = await startRetellServer({ vt, apiKey, port: Number(process.env.PORT ?? 8080) });
  console.log(`webhook:       ${server.webhookUrl}\nLLM websocket: ${server.llmWebsocketUrl}`);
  process.on('SIGINT', () => server.close().then(() => process.exit(0)));
}

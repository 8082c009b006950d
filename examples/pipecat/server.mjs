// The voxtrace side of the Pipecat example: a listener that bots running voxtrace_observer.py
// connect to. Spans go to the OTLP endpoint in OTEL_EXPORTER_OTLP_ENDPOINT (if set).
//
//   VOXTRACE_TOKEN=$(openssl rand -hex 24) PORT=4319 node examples/pipecat/server.mjs
import { createVoxtrace } from '@voxtrace/core';
import { createPipecatBridge, listenForPipecat } from '@voxtrace/pipecat-bridge';

const token = process.env.VOXTRACE_TOKEN;
if (!token || token.length < 16) {
  console.error('set VOXTRACE_TOKEN to a secret of at least 16 characters');
  process.exit(1);
}

const log = (d) => console.warn(`[voxtrace] ${d.code}: ${d.message}`);
const vt = createVoxtrace({ serviceName: 'pipecat-bot', onDiagnostic: log });
vt.on('turn', (t) =>
  console.log(
    `${t.conversationId} turn ${t.index}: ${t.e2eLatencyMs ?? '-'} ms (bottleneck ${t.bottleneck?.component ?? '-'})`,
  ),
);
const bridge = createPipecatBridge(vt, { onDiagnostic: log });
const listener = await listenForPipecat(bridge, {
  host: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 4319),
  token,
  onDiagnostic: log,
});
console.log(`voxtrace listening for Pipecat bots on ${listener.url}`);

process.once('SIGINT', async () => {
  await listener.close();
  bridge.close();
  await vt.shutdown();
  process.exit(0);
});

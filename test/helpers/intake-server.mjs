// The Vapi and Retell webhook handlers on 127.0.0.1, in a process of their own so that the attack tests can
// measure this process's memory (RSS) and the bytes its sockets read, apart from the clients'.
//
// Started by test/webhooks.intake.test.ts with an IPC channel: it sends `{ vapi, retell }` (the ports) when
// listening; on 'reset' it collects garbage and starts a new peak; on 'stats' it answers with the RSS now,
// the peak since the reset (sampled every 10 ms), and the bytes read by the sockets of each server.
import { createServer } from 'node:http';
import { createVoxtrace } from '@voxtrace/core';
import { createRetellWebhookHandler } from '@voxtrace/retell';
import { createVapiWebhookHandler, toNodeHandler } from '@voxtrace/vapi';

const limits = process.env.BODY_TIMEOUT_MS ? { bodyTimeoutMs: Number(process.env.BODY_TIMEOUT_MS) } : {};
const vt = createVoxtrace({ otlp: false, serviceName: 'intake-attack' });
const vapi = createVapiWebhookHandler(vt, {
  auth: { type: 'secret', secret: process.env.VAPI_SECRET },
  ...limits,
});
const retell = createRetellWebhookHandler(vt, { apiKey: process.env.RETELL_API_KEY, ...limits });

/** A server that adds up what its sockets read. */
function counted(listener) {
  const server = createServer(listener);
  const bytes = { closed: 0, open: new Set() };
  server.on('connection', (socket) => {
    bytes.open.add(socket);
    socket.once('close', () => {
      bytes.open.delete(socket);
      bytes.closed += socket.bytesRead;
    });
  });
  const read = () => [...bytes.open].reduce((n, s) => n + s.bytesRead, bytes.closed);
  return { server, read, open: () => bytes.open.size };
}

const servers = {
  vapi: counted(toNodeHandler(vapi)),
  retell: counted((req, res) => void retell.node(req, res)),
};
const ports = {};
for (const [name, { server }] of Object.entries(servers)) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  ports[name] = server.address().port;
}

let peak = process.memoryUsage.rss();
setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 10);

process.on('message', (msg) => {
  if (msg === 'reset') {
    globalThis.gc?.();
    peak = process.memoryUsage.rss();
    process.send({ rss: peak });
  } else if (msg === 'stats') {
    process.send({
      rss: process.memoryUsage.rss(),
      peak,
      vapi: { bytesRead: servers.vapi.read(), open: servers.vapi.open() },
      retell: { bytesRead: servers.retell.read(), open: servers.retell.open(), stats: retell.stats() },
    });
  } else if (msg === 'exit') {
    process.exit(0);
  }
});
// The test process went away: so does this one.
process.on('disconnect', () => process.exit(0));
process.send(ports);

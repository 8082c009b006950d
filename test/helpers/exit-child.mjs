/**
 * A small agent process for `test/exit.test.ts`, run with `node`: it starts one part of voxtrace (the
 * OTLP export, the metrics handler, the Pipecat listener, the dev viewer and its connection, the Vapi and
 * Retell adapters), says `ready`, waits for a line on stdin, then shuts that part down and says
 * `shutdown` with the time. It never calls `process.exit()`: the process ends when nothing keeps it
 * alive, and the test measures when that is.
 *
 * Usage: node exit-child.mjs <scenario> [argument]
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connectToDevViewer, startDevServer } from '@voxtrace/cli';
import { createMetricsHandler, createVoxtrace } from '@voxtrace/core';
import { createPipecatBridge, listenForPipecat } from '@voxtrace/pipecat-bridge';
import { observeRetellEvent } from '@voxtrace/retell';
import { observeVapiMessage } from '@voxtrace/vapi';

const [scenario, argument] = process.argv.slice(2);
const say = (event, fields = {}) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
const fixture = (name) =>
  JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8'));

/** One call of three turns, as an agent records it. */
function recordCall(vt, id) {
  const at = Date.now() - 20_000;
  const conv = vt.startConversation({ id, platform: 'custom', startedAt: at });
  for (let t = 0; t < 3; t++) {
    const s = at + t * 5000;
    conv.record({ type: 'user.speech.started', at: s });
    conv.record({ type: 'user.speech.ended', at: s + 1000 });
    conv.record({ type: 'stt.final', at: s + 1150, transcript: 'move it to friday' });
    conv.record({ type: 'llm.started', at: s + 1300, provider: 'openai', model: 'gpt-4o-mini' });
    conv.record({ type: 'llm.first_token', at: s + 1600 });
    conv.record({ type: 'tts.started', at: s + 1650 });
    conv.record({ type: 'tts.first_audio', at: s + 1800 });
    conv.record({ type: 'agent.speech.started', at: s + 1810 });
    conv.record({ type: 'llm.ended', at: s + 1900 });
    conv.record({ type: 'tts.ended', at: s + 2500 });
    conv.record({ type: 'agent.speech.ended', at: s + 2600 });
  }
  conv.end();
}

/** Starts the scenario; returns what `ready` reports and the shutdown to run. */
async function start() {
  switch (scenario) {
    case 'export': {
      // The collector (`argument`) refuses, answers 503 or hangs; calls keep ending until shutdown.
      const vt = createVoxtrace({
        serviceName: 'exit-test',
        otlp: { url: argument },
        batch: { maxExportBatchSize: 64, scheduledDelayMillis: 20 },
      });
      let n = 0;
      const busy = setInterval(() => recordCall(vt, `call-${n++}`), 10);
      return {
        ready: {},
        stop: async () => {
          clearInterval(busy);
          await vt.shutdown();
          return { stats: vt.stats() };
        },
      };
    }
    case 'metrics': {
      // The metrics handler on the agent's own server; the test holds a keep-alive connection to it.
      const vt = createVoxtrace({ otlp: false });
      recordCall(vt, 'metrics-call');
      const server = createServer(createMetricsHandler(vt));
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      return {
        ready: { port: server.address().port },
        stop: async () => {
          server.close();
          await vt.shutdown();
          return {};
        },
      };
    }
    case 'pipecat': {
      // The test keeps a WebSocket open and a half-sent handshake hanging.
      const vt = createVoxtrace({ otlp: false });
      const bridge = createPipecatBridge(vt);
      const listener = await listenForPipecat(bridge, { token: 'exit-test-token-0123456789' });
      return {
        ready: { port: listener.port },
        stop: async () => {
          await listener.close();
          bridge.close();
          await vt.shutdown();
          return {};
        },
      };
    }
    case 'dev': {
      // The viewer; the test keeps a keep-alive connection and a half-sent OTLP request open.
      const server = await startDevServer({ port: 0 });
      return { ready: { port: server.port }, stop: async () => (await server.close(), {}) };
    }
    case 'connect': {
      // An agent publishing to a dev viewer (`argument`) that never answers.
      const vt = createVoxtrace({ otlp: false });
      const connection = connectToDevViewer(vt, argument, { snapshotIntervalMs: 50 });
      recordCall(vt, 'connect-call');
      return {
        ready: {},
        stop: async () => {
          connection.close();
          await vt.shutdown();
          return {};
        },
      };
    }
    case 'adapters': {
      // Vapi live messages and Retell events leave calls open, with their timers, until shutdown.
      const vt = createVoxtrace({ otlp: false });
      for (const name of ['vapi-status-update-in-progress.json', 'vapi-speech-update.json'])
        observeVapiMessage(vt, fixture(`vapi/${name}`));
      // A Retell call that ended and waits for its analysis (a timer), and one still going.
      const { call } = fixture('retell/retell-call_analyzed.json');
      observeRetellEvent(vt, { event: 'call_ended', call });
      const { end_timestamp: _, ...ongoing } = call;
      observeRetellEvent(vt, {
        event: 'call_started',
        call: { ...ongoing, call_id: 'exit-ongoing', call_status: 'ongoing' },
      });
      return {
        ready: { open: vt.stats().openConversations },
        stop: async () => {
          // No closeRetellCalls(vt): the adapter's timers must not hold the process either way.
          await vt.shutdown();
          return { open: vt.stats().openConversations };
        },
      };
    }
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

const { ready, stop } = await start();
say('ready', ready);
process.stdin.once('data', async () => {
  process.stdin.destroy();
  const at = Date.now();
  say('shutdown', { at });
  const result = await stop();
  say('resolved', { at: Date.now(), ...result });
});

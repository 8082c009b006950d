// @ts-check
/**
 * `npm run demo`: concurrent simulated phone calls answered by real LiveKit `AgentSession`s (fake
 * providers with realistic latencies, no LiveKit server), traced by `@voxtrace/livekit`, exported over
 * OTLP to a `voxtrace dev` viewer started here, with the monitor's incidents published to it. A
 * scenario degrades one provider for a while; the monitor opens an incident and resolves it. See
 * `--help`, docs/dev-viewer.md and the README.
 */
import { initializeLogger } from '@livekit/agents';
import { connectToDevViewer, startDevServer } from '@voxtrace/cli';
import { createVoxtrace } from '@voxtrace/core';
import { runCall, SCRIPTS } from './calls.mjs';
import { DEMO_MONITOR, describeMonitor } from './monitor.mjs';
import { parseOptions, USAGE, UsageError } from './options.mjs';
import { clock, Report } from './report.mjs';
import { faultWindow, providers, randomSource } from './scenarios.mjs';

/** @typedef {import('./options.mjs').DemoOptions} DemoOptions */

/** Calls start this far apart at first, so they do not all speak at once. */
const STAGGER_MS = 700;
const PROGRESS_MS = 500;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** @param {string[]} args */
function optionsOrExit(args) {
  try {
    const options = parseOptions(args);
    if (options) return options;
    process.stdout.write(USAGE);
    process.exit(0);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`demo: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
}

/**
 * The viewer on the requested port; a busy default port falls back to a free one.
 * @param {DemoOptions} options
 */
async function startViewer(options) {
  try {
    return await startDevServer({ port: options.port });
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code !== 'EADDRINUSE' || options.portGiven) throw err;
    const viewer = await startDevServer({ port: 0 });
    process.stdout.write(`(port ${options.port} is taken: the viewer uses ${viewer.port})\n`);
    return viewer;
  }
}

async function main() {
  const options = optionsOrExit(process.argv.slice(2));
  // LiveKit's own log would interleave with the progress line; what matters shows in voxtrace's figures.
  initializeLogger({ pretty: false, level: 'silent' });
  const viewer = await startViewer(options);
  /** @type {Report | undefined} */
  let report;
  const vt = createVoxtrace({
    serviceName: 'voxtrace-demo',
    otlp: { url: viewer.otlpUrl },
    batch: { scheduledDelayMillis: 500 },
    monitor: DEMO_MONITOR,
    onDiagnostic: (d) => report?.diagnostic(d),
  });
  const publisher = connectToDevViewer(vt, viewer.endpoint, {
    source: 'voxtrace-demo',
    snapshotIntervalMs: 1000,
  });

  const startedAt = Date.now();
  const fault = faultWindow(options.scenario, options.durationMs);
  report = new Report({ vt, scenario: options.scenario, fault, startedAt });
  report.print(
    `voxtrace demo: ${options.calls} concurrent calls for ${clock(options.durationMs)}, scenario ${options.scenario.name}`,
    `  ${options.scenario.summary}${fault ? ` (from ${clock(fault.fromMs)} to ${clock(fault.toMs)})` : ''}`,
    '  real LiveKit AgentSessions with fake STT, LLM and TTS (no LiveKit server), traced by @voxtrace/livekit',
    ...describeMonitor(vt.monitor.rules).map((l) => `  ${l}`),
    `viewer: ${viewer.url}   (OTLP/HTTP in at ${viewer.otlpUrl})`,
    '',
  );

  // A failing session must not end the demo: a rejection nobody handled is reported, not fatal.
  process.on('unhandledRejection', (reason) => report?.unhandledRejection(reason));

  const stop = new AbortController();
  let interrupted = false;
  const onSigint = () => {
    if (stop.signal.aborted) {
      process.stderr.write('\ndemo: interrupted again, exiting now\n');
      process.exit(130);
    }
    interrupted = true;
    stop.abort();
  };
  process.on('SIGINT', onSigint);

  const random = randomSource();
  const calls = { live: 0, durationMs: options.durationMs };
  const comps = providers(options.scenario, {
    durationMs: options.durationMs,
    elapsedMs: () => Date.now() - startedAt,
    random,
  });
  let placed = 0;
  /** One line of calls: a call, a short pause, the next call, until the run ends. */
  const line = async (/** @type {number} */ i) => {
    await sleep(i * STAGGER_MS);
    while (!stop.signal.aborted) {
      const n = ++placed;
      const id = `call-${String(n).padStart(3, '0')}`;
      calls.live++;
      const result = await runCall({
        id,
        script: /** @type {import('./calls.mjs').Script} */ (SCRIPTS[n % SCRIPTS.length]),
        providers: comps,
        vt,
        random,
        stop: stop.signal,
      });
      calls.live--;
      report?.callEnded(result.ending);
      if (result.ending === 'session_closed')
        report?.print(`${id}: LiveKit closed the session (${result.error})`);
      if (result.ending === 'failed') report?.print(`${id}: the call failed to run (${result.error})`);
      await sleep(300 + random() * 1200);
    }
  };
  const ticker = setInterval(() => report?.progress(calls), PROGRESS_MS);
  const timer = setTimeout(() => stop.abort(), options.durationMs);
  await Promise.all(Array.from({ length: options.calls }, (_, i) => line(i)));
  clearTimeout(timer);
  clearInterval(ticker);

  publisher.sendSnapshot();
  await publisher.flush();
  publisher.close();
  await vt.shutdown();
  report.summary({ calls: options.calls, durationMs: Date.now() - startedAt, interrupted });

  if (options.once || interrupted) {
    await viewer.close();
    // LiveKit leaves timers behind after sessions close; nothing is left to wait for.
    process.exit(interrupted ? 130 : 0);
  }
  report.print(`viewer: ${viewer.url}   (still running: Ctrl-C to stop)`);
  process.off('SIGINT', onSigint);
  process.once('SIGINT', () => {
    void viewer.close().then(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stderr.write(`demo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

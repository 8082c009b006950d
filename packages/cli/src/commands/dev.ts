/**
 * `voxtrace dev`: the embedded default backend. Receives OTLP/HTTP traces and serves the viewer
 * until interrupted.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_DEV_PORT, startDevServer } from '../dev/server.js';
import { DEFAULT_MAX_BYTES } from '../dev/store.js';
import type { Command } from './index.js';

const USAGE = `usage: voxtrace dev [--port N] [--host ADDRESS] [--max-conversations N] [--max-mb N]

Receives OTLP/HTTP traces (protobuf or JSON) at /v1/traces and serves a live viewer of voxtrace
conversations: turn waterfalls, latency percentiles, severity and incidents.

  --port N                 port to listen on (default ${DEFAULT_DEV_PORT}, the OTLP/HTTP port; 0 picks a free one)
  --host ADDRESS           interface to listen on (default 127.0.0.1; the viewer has no authentication)
  --max-conversations N    conversations kept (default 200)
  --max-mb N               memory budget of the spans kept, in MiB (default ${DEFAULT_MAX_BYTES / 1024 / 1024});
                           past it the least recently updated conversations are evicted, whole

Point a voxtrace process at it:  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port>`;

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

class UsageError extends Error {}

/** The `dev` subcommand. */
export const dev: Command = {
  summary: 'local viewer: OTLP traces in, turn waterfalls, latency percentiles and incidents out',
  async run(args) {
    let options: { port?: number; host?: string; maxConversations?: number; maxBytes?: number };
    try {
      const { values } = parseArgs({
        args,
        options: {
          port: { type: 'string', short: 'p' },
          host: { type: 'string' },
          'max-conversations': { type: 'string' },
          'max-mb': { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
        strict: true,
      });
      if (values.help) {
        console.log(USAGE);
        return 0;
      }
      options = {
        port: integer('port', values.port, 0, 65535),
        host: values.host,
        maxConversations: integer('max-conversations', values['max-conversations'], 1, 1_000_000),
        maxBytes:
          (integer('max-mb', values['max-mb'], 1, 1_000_000) ?? DEFAULT_MAX_BYTES / 1024 / 1024) *
          1024 *
          1024,
      };
    } catch (err) {
      console.error(`voxtrace dev: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    let server;
    try {
      server = await startDevServer(options);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') {
        console.error(
          `voxtrace dev: port ${options.port ?? DEFAULT_DEV_PORT} is in use (an OpenTelemetry collector?). Use --port 0 for a free port, or another one.`,
        );
        return 1;
      }
      throw err;
    }
    const host = server.host;
    console.log(`voxtrace dev: viewer      ${server.url}`);
    console.log(`voxtrace dev: OTLP/HTTP   ${server.otlpUrl}  (protobuf or JSON)`);
    console.log(
      `voxtrace dev: point a voxtrace process at it with OTEL_EXPORTER_OTLP_ENDPOINT=${server.endpoint}`,
    );
    if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1')
      console.log(`voxtrace dev: listening on ${host}: anyone who can reach it can read these traces`);
    // Evictions are said in the terminal too, at most every 10 s.
    let reported = 0;
    const notice = setInterval(() => {
      const s = server.store.stats();
      if (s.evictedConversations === reported) return;
      reported = s.evictedConversations;
      console.log(
        `voxtrace dev: ${s.evictedConversations} older conversations evicted so far (${s.evictedForBytes} to stay within --max-mb ${s.maxBytes / 1024 / 1024}, the rest past --max-conversations)`,
      );
    }, 10_000);
    notice.unref();
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    clearInterval(notice);
    await server.close();
    return 0;
  },
};

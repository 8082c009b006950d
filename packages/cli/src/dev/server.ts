/**
 * `startDevServer`: the dev viewer on one port. OTLP/HTTP traces in at `/v1/traces`, the page at
 * `/`, incidents and monitor snapshots in at `/api/incidents` and `/api/monitor`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@voxtrace/core/http';
import { createDevViewer, type DevViewer, type DevViewerOptions } from './app.js';
import type { IncidentBoard } from './incidents.js';
import type { ConversationStore } from './store.js';

/** The OTLP/HTTP port collectors listen on: exporters' default endpoint is `http://localhost:4318`. */
export const DEFAULT_DEV_PORT = 4318;

/** Options of {@link startDevServer}. */
export interface DevServerOptions extends Omit<DevViewerOptions, 'allowedHostnames'> {
  /** Interface to listen on. Default `127.0.0.1` (the viewer has no authentication). */
  host?: string;
  /** Port; `0` picks a free one. Default {@link DEFAULT_DEV_PORT}. */
  port?: number;
}

/** A running dev viewer. */
export interface DevServer {
  /** The page, e.g. `http://127.0.0.1:4318/`. */
  readonly url: string;
  /** The OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces` (`createVoxtrace({ otlp: { url } })`). */
  readonly otlpUrl: string;
  /** The base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT` and `connectToDevViewer`. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  /** The conversations received (read it for summaries). */
  readonly store: ConversationStore;
  /** The incidents and monitor snapshots received. */
  readonly incidents: IncidentBoard;
  /** Stops listening and closes open connections. Idempotent; never rejects. */
  close(): Promise<void>;
}

/** Starts the dev viewer; resolves once it listens. Rejects when the port is taken (`EADDRINUSE`). */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const host = options.host ?? '127.0.0.1';
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
  const viewer: DevViewer = createDevViewer({
    ...options,
    // Behind a loopback bind only loopback names are legitimate; a wider bind is reached by any name.
    allowedHostnames: loopback
      ? ['localhost', '[::1]', '127.0.0.1', host.includes(':') ? `[${host}]` : host]
      : null,
  });
  // Headers must arrive within 9 s (checked every second); bodies are capped by the viewer's intake.
  const server: Server = createServer(
    { headersTimeout: 9_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 },
    toNodeHandler((request) => viewer.fetch(request)),
  );
  // The page polls; idle sockets should not hold `close()` up for long.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_DEV_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard bind is reached locally through loopback.
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const endpoint = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
  let closing: Promise<void> | null = null;
  return {
    url: `${endpoint}/`,
    otlpUrl: `${endpoint}/v1/traces`,
    endpoint,
    host,
    port,
    store: viewer.store,
    incidents: viewer.incidents,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * The dev viewer as a web-standard handler, `(Request) => Promise<Response>`: the OTLP/HTTP traces
 * endpoint, the JSON API the page polls, the endpoints incidents and monitor snapshots are published
 * to, and the page itself. `server.ts` serves it over Node's `http`.
 */
import type { z } from 'zod';
import {
  type BodyIntake,
  createBodyIntake,
  type IntakeOptions,
  resolveIntakeLimits,
} from '@voxtrace/core/http';
import {
  IncidentBoard,
  type IncidentBoardOptions,
  type IncidentsView,
  incidentSchema,
  snapshotSchema,
} from './incidents.js';
import { type LatencyView, latestStretch } from './latency.js';
import { handleOtlpTraces } from './otlp.js';
import { renderPage } from './page.js';
import { ConversationStore, type StoreOptions, type StoreStats } from './store.js';
import type { ConversationSummary } from './waterfall.js';

/** Options of {@link createDevViewer}. */
export interface DevViewerOptions extends StoreOptions, IncidentBoardOptions, IntakeOptions {
  /**
   * Largest OTLP request body, raw or decompressed (a gzip bomb stops there). Default 8 MiB. The other intake
   * options (`bodyTimeoutMs`, `maxConcurrentBodies`, `maxQueuedBodies`) apply to every body received.
   */
  maxBodyBytes?: number;
  /**
   * Host names the `Host` header may carry (port aside), against DNS rebinding; `null` accepts any.
   * Default: the loopback names (`localhost`, `127.0.0.1`, `[::1]`).
   */
  allowedHostnames?: readonly string[] | null;
}

/** What `GET /api/overview` returns. */
export interface Overview {
  version: number;
  conversations: ConversationSummary[];
  latency: LatencyView;
  incidents: IncidentsView;
  /** The time charts' span: the latest stretch of turns, snapshots and incidents; `null` without any. */
  range: { from: number; to: number } | null;
  stats: StoreStats;
}

/** The dev viewer: a fetch handler over a conversation store and an incident board. */
export interface DevViewer {
  /** Handles one request. Never throws. */
  fetch(request: Request): Promise<Response>;
  readonly store: ConversationStore;
  readonly incidents: IncidentBoard;
  /** Largest OTLP request body accepted, raw or decompressed. */
  readonly maxBodyBytes: number;
}

/** Default cap of OTLP request bodies. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** Cap of published incidents and snapshots. */
const API_MAX_BODY_BYTES = 1024 * 1024;
const LOOPBACK = ['localhost', '127.0.0.1', '[::1]'];

/** Creates the dev viewer's handler. */
export function createDevViewer(options: DevViewerOptions = {}): DevViewer {
  const store = new ConversationStore(options);
  const incidents = new IncidentBoard(options);
  const otlpIntake = createBodyIntake(
    resolveIntakeLimits(options, { maxBodyBytes: DEFAULT_MAX_BODY_BYTES }, 'createDevViewer'),
  );
  const apiIntake = createBodyIntake(
    resolveIntakeLimits(
      { ...options, maxBodyBytes: API_MAX_BODY_BYTES },
      { maxBodyBytes: API_MAX_BODY_BYTES },
      'createDevViewer',
    ),
  );
  const hostnames = options.allowedHostnames === undefined ? LOOPBACK : options.allowedHostnames;
  const page = renderPage();
  const version = () => store.version + incidents.version;

  async function route(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (hostnames && !hostnames.includes(url.hostname))
      return text(
        403,
        `host "${url.hostname}" not allowed: open the viewer at http://127.0.0.1:${url.port}/\n`,
      );
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const get = request.method === 'GET' || request.method === 'HEAD';

    if (path === '/v1/traces') return handleOtlpTraces(request, store, otlpIntake);
    if (path === '/' && get)
      return new Response(page, {
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-security-policy':
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:",
        },
      });
    if (path === '/api/overview' && get) {
      const v = version();
      if (url.searchParams.get('since') === String(v)) return new Response(null, { status: 204 });
      const latency = store.latency();
      const board = incidents.view();
      const body: Overview = {
        version: v,
        conversations: store.conversations(),
        latency,
        incidents: board,
        range: chartRange(latency, board),
        stats: store.stats(),
      };
      return json(200, body);
    }
    if (path === '/api/conversations' && get) return json(200, store.conversations());
    const m = /^\/api\/conversations\/([0-9a-f]{32})$/.exec(path);
    if (m && get) {
      const view = store.conversation(m[1]!);
      if (!view) return json(404, { error: `no conversation with trace id ${m[1]}` });
      return json(200, url.searchParams.has('spans') ? { ...view, spans: store.spans(m[1]!) } : view);
    }
    if (path === '/api/latency' && get) return json(200, store.latency());
    if (path === '/api/incidents' && get) return json(200, incidents.view());
    if (path === '/api/incidents' && request.method === 'POST')
      return publish(request, url, apiIntake, incidentSchema, (source, i) => incidents.upsert(source, i));
    if (path === '/api/monitor' && request.method === 'POST')
      return publish(request, url, apiIntake, snapshotSchema, (source, s) => incidents.snapshot(source, s));
    if (path === '/api/health' && get) {
      const { rss, heapUsed } = process.memoryUsage();
      const memory = { rssBytes: rss, heapUsedBytes: heapUsed };
      return json(200, { ok: true, version: version(), stats: store.stats(), memory });
    }
    if (
      ['/api/incidents', '/api/monitor', '/api/overview', '/api/latency', '/api/conversations'].includes(path)
    )
      return text(405, 'method not allowed\n');
    return text(404, `not found: ${path}\n`);
  }

  return {
    store,
    incidents,
    maxBodyBytes: otlpIntake.limits.maxBodyBytes,
    async fetch(request) {
      try {
        return await route(request);
      } catch (err) {
        return text(500, `internal error: ${String(err)}\n`);
      }
    },
  };
}

/** The latest stretch of everything the time charts draw (see `latestStretch`). */
function chartRange(latency: LatencyView, board: IncidentsView): Overview['range'] {
  const times: number[] = [];
  if (latency.from !== null) times.push(latency.from, latency.to!);
  for (const src of board.severity) for (const p of src.points) times.push(p.at);
  for (const i of board.incidents) times.push(i.openedAt, i.resolvedAt ?? i.updatedAt ?? i.openedAt);
  return latestStretch(times);
}

/** Validates a published JSON body and hands it over; answers 202, or 4xx saying what was wrong. */
async function publish<S extends z.ZodType>(
  request: Request,
  url: URL,
  intake: BodyIntake,
  schema: S,
  accept: (source: string, value: z.infer<S>) => void,
): Promise<Response> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  // Requiring JSON also makes browsers preflight cross-site posts, which this server never allows.
  if (type !== 'application/json') return json(415, { error: 'content-type must be application/json' });
  const read = await intake.receive(request, { decompress: true });
  if (!read.ok) {
    const res = json(read.status, { error: read.reason });
    if (read.retryAfterSeconds) res.headers.set('retry-after', String(read.retryAfterSeconds));
    return res;
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(read.bytes));
  } catch (err) {
    return json(400, { error: `body is not JSON: ${(err as Error).message}` });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return json(400, { error: 'invalid body', issues });
  }
  const source = (url.searchParams.get('source') ?? 'default').slice(0, 100) || 'default';
  accept(source, parsed.data);
  return json(202, { ok: true });
}

function json(status: number, body: unknown): Response {
  return Response.json(body, { status, headers: { 'cache-control': 'no-store' } });
}

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
}

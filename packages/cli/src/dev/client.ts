/**
 * `connectToDevViewer(vt, url)`: publishes a voxtrace process's incidents and periodic monitor
 * snapshots to a running dev viewer. Fire-and-forget: posts never throw into the caller and never
 * reject unhandled, at most a few are in flight (an incident's newest update waits; older ones are
 * superseded), and the timer is unref'd so it never keeps the process alive.
 */
import { hostname } from 'node:os';

/**
 * What the connection needs of a voxtrace instance. Structural, so it does not depend on the monitor's
 * types: a `Voxtrace` whose monitor emits `incident` events fits.
 */
export interface DevViewerSource {
  on(event: 'incident', listener: (incident: unknown) => void): () => void;
  readonly monitor?: { snapshot(): unknown };
}

/** Options of {@link connectToDevViewer}. */
export interface DevViewerConnectionOptions {
  /** Period of monitor snapshots. Default 2000 ms; `0` sends none on a timer. */
  snapshotIntervalMs?: number;
  /** Per-request timeout. Default 2000 ms. */
  timeoutMs?: number;
  /** Posts in flight at most. Default 4. */
  maxInFlight?: number;
  /** This process's name on the viewer's severity timeline. Default `<hostname>:<pid>`. */
  source?: string;
  /** Told about each failed post (for logging). Errors it throws are ignored. */
  onError?: (error: Error) => void;
}

/** Counters of a {@link DevViewerConnection}. */
export interface DevViewerConnectionStats {
  /** Posts the viewer accepted. */
  sent: number;
  /** Posts that failed (viewer down, timeout, rejected, unserializable). */
  failed: number;
  /** Snapshots skipped and incident updates superseded or dropped because too many were pending. */
  dropped: number;
}

/** A live connection to a dev viewer. */
export interface DevViewerConnection {
  /** Posts a monitor snapshot now (fire-and-forget). */
  sendSnapshot(): void;
  /** Resolves when the posts under way are done, or after the request timeout. Never rejects. */
  flush(): Promise<void>;
  /** Unsubscribes and stops the timer. Posts under way finish on their own. Idempotent. */
  close(): void;
  stats(): DevViewerConnectionStats;
}

/** Incidents with an update waiting, at most. */
const MAX_PENDING_INCIDENTS = 32;

/**
 * Forwards `vt`'s incidents (`POST <url>/api/incidents`) and, when it has a monitor, a snapshot every
 * `snapshotIntervalMs` (`POST <url>/api/monitor`). `url` is the viewer's base URL
 * (`http://127.0.0.1:4318`; a trailing `/v1/traces` is ignored).
 */
export function connectToDevViewer(
  vt: DevViewerSource,
  url: string,
  options: DevViewerConnectionOptions = {},
): DevViewerConnection {
  const base = url.replace(/\/+$/, '').replace(/\/v1\/traces$/, '');
  const source = encodeURIComponent(options.source ?? `${hostname()}:${process.pid}`);
  const timeoutMs = options.timeoutMs ?? 2000;
  const maxInFlight = Math.max(1, options.maxInFlight ?? 4);
  const stats: DevViewerConnectionStats = { sent: 0, failed: 0, dropped: 0 };
  const pending = new Map<string, string>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;
  let anonymous = 0;

  const fail = (err: unknown) => {
    stats.failed++;
    try {
      options.onError?.(err instanceof Error ? err : new Error(String(err)));
    } catch {
      // A logging callback must not break the publisher.
    }
  };

  const post = (path: string, body: string) => {
    const p = (async () => {
      const res = await fetch(`${base}${path}?source=${source}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`dev viewer answered ${res.status} to ${path}`);
      stats.sent++;
    })()
      .catch(fail)
      .finally(() => {
        inFlight.delete(p);
        pump();
      });
    inFlight.add(p);
  };

  const pump = () => {
    while (inFlight.size < maxInFlight && pending.size > 0) {
      const [key, body] = pending.entries().next().value!;
      pending.delete(key);
      post('/api/incidents', body);
    }
  };

  const serialize = (value: unknown): string | null => {
    try {
      return JSON.stringify(value) ?? null;
    } catch (err) {
      fail(err);
      return null;
    }
  };

  const onIncident = (incident: unknown) => {
    if (closed) return;
    const body = serialize(incident);
    if (body === null) return;
    const id = (incident as { id?: unknown } | null)?.id;
    const key = typeof id === 'string' ? id : `#${anonymous++}`;
    // The newest update of an incident replaces one still waiting.
    if (pending.delete(key)) stats.dropped++;
    pending.set(key, body);
    if (pending.size > MAX_PENDING_INCIDENTS) {
      pending.delete(pending.keys().next().value!);
      stats.dropped++;
    }
    pump();
  };

  const sendSnapshot = () => {
    if (closed || !vt.monitor) return;
    if (inFlight.size >= maxInFlight) {
      stats.dropped++;
      return;
    }
    let snapshot: unknown;
    try {
      snapshot = vt.monitor.snapshot();
    } catch (err) {
      fail(err);
      return;
    }
    const body = serialize(snapshot);
    if (body !== null) post('/api/monitor', body);
  };

  let unsubscribe = () => {};
  try {
    unsubscribe = vt.on('incident', onIncident);
  } catch (err) {
    // A voxtrace without a monitor has no `incident` event: snapshots (if any) still go out.
    fail(err);
  }
  const interval = options.snapshotIntervalMs ?? 2000;
  const timer = interval > 0 && vt.monitor ? setInterval(sendSnapshot, interval) : null;
  timer?.unref();

  return {
    sendSnapshot,
    async flush() {
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
      while (inFlight.size > 0 || pending.size > 0) {
        const done = await Promise.race([
          Promise.allSettled([...inFlight]).then(() => false),
          deadline.then(() => true),
        ]);
        if (done || inFlight.size === 0) break;
      }
    },
    close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      try {
        unsubscribe();
      } catch {
        // Unsubscribing is best effort.
      }
    },
    stats: () => ({ ...stats }),
  };
}

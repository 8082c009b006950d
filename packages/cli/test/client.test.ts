/**
 * connectToDevViewer against a real viewer: incidents and snapshots arrive; a viewer that is down or
 * hangs never throws into the caller, never leaves an unhandled rejection, and queues stay bounded.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectToDevViewer, type DevServer, type DevViewerSource, startDevServer } from '@voxtrace/cli';
import { afterEach, describe, expect, it, vi } from 'vitest';

const T0 = 1_763_700_000_000;
const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e));
let server: DevServer | undefined;
let hanging: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  hanging?.closeAllConnections();
  await new Promise<void>((r) => (hanging ? hanging.close(() => r()) : r()));
  hanging = undefined;
});

/** A voxtrace-shaped source: `emit` plays the monitor's `incident` event. */
class FakeVoxtrace implements DevViewerSource {
  readonly listeners = new Set<(i: unknown) => void>();
  severity: string | null = null;
  snapshots = 0;
  readonly monitor = {
    snapshot: () => {
      this.snapshots++;
      return {
        at: T0 + this.snapshots * 1000,
        severity: this.severity,
        latency: { count: 5, p50: 800, p90: 4200, p95: 4300, p99: 4400 },
      };
    },
  };
  on(event: 'incident', listener: (i: unknown) => void): () => void {
    expect(event).toBe('incident');
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(incident: unknown): void {
    for (const l of this.listeners) l(incident);
  }
}

const incident = (id: string, status: string, at: number) => ({
  id,
  severity: 'SEV-2',
  status,
  openedAt: T0,
  updatedAt: at,
  resolvedAt: status === 'resolved' ? at : null,
  layer: 'llm',
});

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe('connectToDevViewer', () => {
  it('publishes incidents as they change and periodic monitor snapshots', async () => {
    server = await startDevServer({ port: 0 });
    const vt = new FakeVoxtrace();
    const conn = connectToDevViewer(vt, server.otlpUrl, { snapshotIntervalMs: 10, source: 'demo' });
    vt.severity = 'SEV-2';
    vt.emit(incident('inc-7', 'identified', T0 + 1));
    await conn.flush();
    expect(server.incidents.view().incidents).toMatchObject([
      { id: 'inc-7', source: 'demo', resolved: false },
    ]);
    vt.severity = null;
    vt.emit(incident('inc-7', 'resolved', T0 + 2));
    await conn.flush();
    expect(server.incidents.view().incidents).toMatchObject([
      { id: 'inc-7', status: 'resolved', resolved: true },
    ]);
    await vi.waitFor(() =>
      expect(server!.incidents.view().severity[0]?.points.length).toBeGreaterThanOrEqual(2),
    );
    expect(server.incidents.view().severity[0]!.source).toBe('demo');
    conn.close();
    expect(vt.listeners.size).toBe(0);
    await conn.flush();
    const taken = vt.snapshots;
    conn.sendSnapshot(); // closed: nothing more
    expect(vt.snapshots).toBe(taken);
    expect(conn.stats()).toMatchObject({ failed: 0 });
    expect(conn.stats().sent).toBeGreaterThanOrEqual(4);
  });

  it('a viewer that is down: no throw, no unhandled rejection, failures counted and reported', async () => {
    const vt = new FakeVoxtrace();
    const errors: Error[] = [];
    const conn = connectToDevViewer(vt, await closedPortUrl(), {
      snapshotIntervalMs: 0,
      onError: (e) => {
        errors.push(e);
        throw new Error('a logger that throws is ignored');
      },
    });
    expect(() => vt.emit(incident('inc-1', 'investigating', T0))).not.toThrow();
    expect(() => conn.sendSnapshot()).not.toThrow();
    await conn.flush();
    expect(conn.stats()).toMatchObject({ sent: 0, failed: 2 });
    expect(errors).toHaveLength(2);
    conn.close();
    expect(unhandled).toEqual([]);
  });

  it('a viewer that never answers: requests time out, in-flight and pending stay bounded', async () => {
    hanging = createServer(() => {
      // Never answers.
    });
    await new Promise<void>((r) => hanging!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}`;
    const vt = new FakeVoxtrace();
    const conn = connectToDevViewer(vt, url, { snapshotIntervalMs: 0, maxInFlight: 2, timeoutMs: 200 });
    for (let i = 0; i < 50; i++) vt.emit(incident(`inc-${i}`, 'investigating', T0 + i));
    vt.emit(incident('inc-49', 'resolved', T0 + 99)); // supersedes the waiting update of inc-49
    conn.sendSnapshot(); // no slot: skipped
    // 2 in flight, at most 32 incidents waiting: the rest were dropped.
    expect(conn.stats().dropped).toBe(50 - 2 - 32 + 1 + 1);
    await conn.flush();
    conn.close();
    expect(conn.stats().sent).toBe(0);
    expect(unhandled).toEqual([]);
  });

  it('takes a voxtrace-shaped instance with a generic `on` over its event map (as core declares it)', async () => {
    server = await startDevServer({ port: 0 });
    interface Events {
      turn: { index: number };
      incident: { id: string; severity: 'SEV-1' | 'SEV-2' | 'SEV-3'; status: string; openedAt: number };
    }
    const listeners = new Set<(v: never) => void>();
    const vt: {
      on<K extends keyof Events>(event: K, listener: (value: Events[K]) => void): () => void;
      readonly monitor: { snapshot(): { at: number; severity: null } };
    } = {
      on(_event, listener) {
        listeners.add(listener as (v: never) => void);
        return () => listeners.delete(listener as (v: never) => void);
      },
      monitor: { snapshot: () => ({ at: T0, severity: null }) },
    };
    // tsc checks this call: the structural DevViewerSource accepts the generic signature.
    const conn = connectToDevViewer(vt, server.endpoint, { snapshotIntervalMs: 0 });
    for (const l of listeners)
      (l as (v: Events['incident']) => void)({
        id: 'inc-g',
        severity: 'SEV-1',
        status: 'investigating',
        openedAt: T0,
      });
    await conn.flush();
    expect(server.incidents.view().incidents.map((i) => i.id)).toEqual(['inc-g']);
    conn.close();
  });

  it('survives a source without incidents, a snapshot that throws and one that cannot be serialized', async () => {
    server = await startDevServer({ port: 0 });
    const noIncidents: DevViewerSource = {
      on: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'add')");
      },
      monitor: { snapshot: () => ({ at: T0, severity: null }) },
    };
    const a = connectToDevViewer(noIncidents, server.endpoint, { snapshotIntervalMs: 0 });
    a.sendSnapshot();
    await a.flush();
    expect(a.stats()).toMatchObject({ sent: 1, failed: 1 });
    let calls = 0;
    const broken: DevViewerSource = {
      on: () => () => undefined,
      monitor: {
        snapshot: () =>
          ++calls === 1
            ? { at: 1n }
            : (() => {
                throw new Error('snapshot failed');
              })(),
      },
    };
    const b = connectToDevViewer(broken, server.endpoint, { snapshotIntervalMs: 0 });
    expect(() => b.sendSnapshot()).not.toThrow();
    expect(() => b.sendSnapshot()).not.toThrow();
    expect(b.stats()).toMatchObject({ sent: 0, failed: 2 });
    a.close();
    b.close();
  });
});

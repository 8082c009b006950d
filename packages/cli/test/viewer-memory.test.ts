/**
 * The viewer's memory is bounded in bytes: `voxtrace dev --max-mb 16`, a real process, is sent
 * thousands of spans whose attributes are 70 KB each (over 500 MB of attribute data) through its OTLP
 * receiver. Its store's accounted bytes stay within the budget, the process's RSS stays bounded (a
 * generous bound, for the garbage V8 lets pile up between collections: kept whole, the attributes
 * alone would take twice it), evictions are counted and shown, values are cut to their cap, and the
 * newest conversations are intact.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { StoreStats } from '@voxtrace/cli';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../../../test/helpers/built.js';

beforeAll(ensureBuilt, 600_000);
const BUDGET_MB = 16;
const CONVERSATIONS = 200;
const TURNS = 19;
const VALUE_CHARS = 70_000;
const RSS_BOUND = 400 * 1024 * 1024;

let child: ChildProcess | undefined;
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

/** Starts `voxtrace dev`; resolves with its base URL and everything it printed so far, live. */
async function startViewer(): Promise<{ url: string; output: () => string }> {
  child = spawn(process.execPath, [CLI, 'dev', '--port', '0', '--max-mb', String(BUDGET_MB)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  for (let i = 0; i < 400; i++) {
    const url = /viewer\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    if (url) return { url, output: () => out };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`voxtrace dev did not start: ${out}`);
}

const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const int = (key: string, value: number) => ({ key, value: { intValue: String(value) } });

/** One conversation of `TURNS` turns; each turn carries two 70 KB attributes and a 70 KB event. */
function conversationSpans(n: number, big: string) {
  const traceId = hex(n + 1, 32);
  const root = hex((n + 1) * 100, 16);
  const t0 = BigInt(1_763_700_000_000 + n * 60_000) * 1_000_000n;
  const at = (ms: number) => String(t0 + BigInt(ms) * 1_000_000n);
  const id = `conv-${n}`;
  const turns = Array.from({ length: TURNS }, (_, i) => ({
    traceId,
    spanId: hex((n + 1) * 100 + i + 1, 16),
    parentSpanId: root,
    name: 'turn',
    kind: 1,
    startTimeUnixNano: at(i * 3000),
    endTimeUnixNano: at(i * 3000 + 2500),
    attributes: [
      str('conversation.id', id),
      int('turn.index', i + 1),
      str('turn.user.transcript', big),
      str('app.payload', big),
    ],
    events: [{ name: 'voice.error', timeUnixNano: at(i * 3000 + 10), attributes: [str('message', big)] }],
    status: {},
  }));
  const conversation = {
    traceId,
    spanId: root,
    name: 'conversation',
    kind: 2,
    startTimeUnixNano: at(0),
    endTimeUnixNano: at(TURNS * 3000),
    attributes: [str('conversation.id', id), str('voice.platform', 'custom'), int('voice.turn.count', TURNS)],
    status: {},
  };
  return { traceId, spans: [...turns, conversation] };
}

async function health(url: string): Promise<{ stats: StoreStats; memory: { rssBytes: number } }> {
  const res = await fetch(`${url}/api/health`);
  return (await res.json()) as { stats: StoreStats; memory: { rssBytes: number } };
}

describe('voxtrace dev under spans with huge attributes', () => {
  it('keeps its store within the byte budget and its RSS bounded, counts evictions, keeps the newest calls', async () => {
    const { url, output } = await startViewer();
    const big = 'x'.repeat(VALUE_CHARS - 1) + 'y';
    const traceIds: string[] = [];
    let peakRss = 0;
    let sentBytes = 0;
    // Two conversations per request (40 spans, 5.6 MB of attributes), gzip-encoded.
    for (let n = 0; n < CONVERSATIONS; n += 2) {
      const a = conversationSpans(n, big);
      const b = conversationSpans(n + 1, big);
      traceIds.push(a.traceId, b.traceId);
      const json = JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [str('service.name', 'memory-test')] },
            scopeSpans: [{ scope: { name: '@voxtrace/core' }, spans: [...a.spans, ...b.spans] }],
          },
        ],
      });
      sentBytes += json.length;
      const res = await fetch(`${url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(json),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      if (n % 10 === 0) {
        const h = await health(url);
        peakRss = Math.max(peakRss, h.memory.rssBytes);
        expect(h.stats.bytes).toBeLessThanOrEqual(h.stats.maxBytes);
      }
    }
    const { stats, memory } = await health(url);
    peakRss = Math.max(peakRss, memory.rssBytes);
    expect(sentBytes).toBeGreaterThan(500 * 1024 * 1024);

    // Accounted bytes within the budget; RSS bounded; evictions counted.
    expect(stats.maxBytes).toBe(BUDGET_MB * 1024 * 1024);
    expect(stats.bytes).toBeLessThanOrEqual(stats.maxBytes);
    expect(stats.bytes).toBeGreaterThan(stats.maxBytes / 2);
    expect(peakRss).toBeLessThan(RSS_BOUND);
    expect(stats.evictedForBytes).toBeGreaterThan(0);
    expect(stats.evictedConversations).toBe(stats.evictedForBytes);
    expect(stats.conversations + stats.evictedConversations).toBe(CONVERSATIONS);
    expect(stats.truncatedValues).toBeGreaterThanOrEqual(CONVERSATIONS * TURNS * 3);

    // The newest conversations are intact: every turn, nothing dropped.
    for (const traceId of traceIds.slice(-5)) {
      const res = await fetch(`${url}/api/conversations/${traceId}?spans`);
      expect(res.status).toBe(200);
      const view = (await res.json()) as {
        turns: unknown[];
        droppedSpans: number;
        live: boolean;
        spans: unknown[];
      };
      expect(view).toMatchObject({ droppedSpans: 0, live: false });
      expect(view.turns).toHaveLength(TURNS);
      expect(view.spans).toHaveLength(TURNS + 1);
    }
    // The oldest were evicted whole: not one of their spans is left.
    expect((await fetch(`${url}/api/conversations/${traceIds[0]}`)).status).toBe(404);

    // The API shows the evictions; the terminal says them (within its 10 s period).
    const overview = (await (await fetch(`${url}/api/overview`)).json()) as { stats: StoreStats };
    expect(overview.stats.evictedForBytes).toBe(stats.evictedForBytes);
    for (let i = 0; i < 240 && !/conversations evicted so far/.test(output()); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(output()).toMatch(/\d+ older conversations evicted so far \(\d+ to stay within --max-mb 16/);
  }, 180_000);
});

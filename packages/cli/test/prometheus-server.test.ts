/**
 * A real Prometheus server on 127.0.0.1 scraping two voxtrace processes' `/metrics` (two instances with
 * their own registries, each behind its own HTTP server) every second, with the generated rules loaded.
 * The fleet P90 Prometheus computes with `histogram_quantile` agrees, within the bucket it falls in,
 * with the P90 of the two in-process monitors' sketches merged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetricsHandler, createMonitor, createVoxtrace, type Voxtrace } from '@voxtrace/core';
import { RESPONSE_LATENCY_BUCKETS_SECONDS } from '@voxtrace/core/thresholds';
import { generateGrafanaDashboard, generatePrometheusRules, prometheusRulesYaml } from '@voxtrace/cli';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { rng, T0 } from './helpers/fleet-traffic.js';
import { haveTool } from './helpers/tools.js';

const WEEK_MS = 7 * 24 * 3_600_000;

/** Records `n` one-turn calls whose turn latencies are lognormal around `medianMs`; returns them. */
function traffic(vt: Voxtrace, n: number, medianMs: number, seed: number): number[] {
  const rand = rng(seed);
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    const latency = Math.round(medianMs * Math.exp(0.35 * z));
    latencies.push(latency);
    const at = T0 - 60_000;
    const conv = vt.startConversation({ id: `s${seed}-${i}`, platform: 'custom', startedAt: at });
    conv.record({ type: 'user.speech.started', at });
    conv.record({ type: 'user.speech.ended', at: at + 1000 });
    conv.record({ type: 'agent.speech.started', at: at + 1000 + latency });
    conv.record({ type: 'agent.speech.ended', at: at + 3000 + latency });
    conv.end({ outcome: 'completed', endedAt: T0 });
  }
  return latencies;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A port free right now (Prometheus takes a listen address, not a socket). */
async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Polls `fn` every 250 ms until it returns a value, for at most `ms`. */
async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

describe.skipIf(!haveTool('prometheus'))('a real Prometheus scraping two voxtrace processes', () => {
  const vts: Voxtrace[] = [];
  const servers: Server[] = [];
  let prometheus: ChildProcess | undefined;
  let api: string;
  let logs = '';
  const latencies: number[] = [];

  beforeAll(async () => {
    const ports: number[] = [];
    for (const [median, n, seed] of [
      [800, 300, 1],
      [2400, 200, 2],
    ] as const) {
      const vt = createVoxtrace({ otlp: false, now: () => T0, monitor: { evaluationIntervalMs: 0 } });
      vts.push(vt);
      latencies.push(...traffic(vt, n, median, seed));
      const server = createServer(createMetricsHandler(vt));
      servers.push(server);
      ports.push(await listen(server));
    }
    const dir = await mkdtemp(join(tmpdir(), 'voxtrace-prometheus-'));
    const yaml = prometheusRulesYaml(generatePrometheusRules());
    await writeFile(join(dir, 'recording.yml'), yaml.recording);
    await writeFile(join(dir, 'alerts.yml'), yaml.alerting);
    await writeFile(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: ['recording.yml', 'alerts.yml'],
        scrape_configs: [
          { job_name: 'voxtrace', static_configs: [{ targets: ports.map((p) => `127.0.0.1:${p}`) }] },
        ],
      }),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v1`;
    prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d: Buffer) => (logs += d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => (logs += d.toString()));
  }, 20_000);

  afterAll(async () => {
    const p = prometheus;
    if (p && p.exitCode === null) {
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
    for (const vt of vts) await vt.shutdown();
  });

  /** An instant query's single value, or `undefined` while it has none. */
  async function query(promql: string): Promise<number | undefined> {
    const res = await fetch(`${api}/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { status: string; data: { result: { value: [number, string] }[] } };
    if (body.status !== 'success') throw new Error(JSON.stringify(body));
    const v = body.data.result[0]?.value[1];
    return v === undefined ? undefined : Number(v);
  }

  it('scrapes both processes; its fleet P90 agrees with the merged sketches within the bucket resolution', async () => {
    try {
      await until('both targets up with every turn scraped', 30_000, async () =>
        (await query('count(up == 1)')) === 2 &&
        (await query('sum(agent_response_seconds_count)')) === latencies.length
          ? true
          : undefined,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\nprometheus output:\n${logs.slice(-3000)}`);
    }
    const promP90 = (await query('histogram_quantile(0.9, sum by (le) (agent_response_seconds_bucket))'))!;

    // The two monitors' sketches, merged: a third monitor whose clock is a week later imports both
    // processes' hour-of-week sketches and reads their P90 as its baseline.
    const fleet = createMonitor({ now: () => T0 + WEEK_MS, evaluationIntervalMs: 0 });
    for (const vt of vts) fleet.importBaseline(vt.monitor.exportBaseline());
    const sketchP90 = fleet.snapshot().baseline.p90Ms! / 1000;
    // Those sketches are the monitors' own turn latencies: each process's window P90 is its sketch's.
    for (const vt of vts) {
      const own = createMonitor({ now: () => T0 + WEEK_MS, evaluationIntervalMs: 0 });
      own.importBaseline(vt.monitor.exportBaseline());
      expect(own.snapshot().baseline.p90Ms).toBeCloseTo(vt.monitor.snapshot().latency.p90!, 9);
      await own.shutdown?.();
    }
    await fleet.shutdown?.();

    const upper = RESPONSE_LATENCY_BUCKETS_SECONDS.find((b) => b >= promP90)!;
    const lower = RESPONSE_LATENCY_BUCKETS_SECONDS[RESPONSE_LATENCY_BUCKETS_SECONDS.indexOf(upper) - 1] ?? 0;
    expect(promP90).toBeGreaterThan(lower);
    // The sketch is within 1 % of a true value; the histogram only knows the bucket.
    expect(sketchP90).toBeGreaterThan(lower * 0.99);
    expect(sketchP90).toBeLessThanOrEqual(upper * 1.01);
    // And both sit where the exact P90 of what was sent is.
    const exact = [...latencies].sort((a, b) => a - b)[Math.ceil(0.9 * latencies.length) - 1]! / 1000;
    expect(exact).toBeGreaterThan(lower);
    expect(exact).toBeLessThanOrEqual(upper);
    expect(Math.abs(sketchP90 - exact) / exact).toBeLessThan(0.02);
    // Per process, Prometheus sees the two different distributions the fleet figure combines.
    const perInstance = await query(
      'max(histogram_quantile(0.9, sum by (le, instance) (agent_response_seconds_bucket)))',
    );
    expect(perInstance).toBeGreaterThan(promP90 - 1e-9);
  }, 45_000);

  it('loads the generated rules and evaluates every one without error', async () => {
    const groups = await until('every rule evaluated', 15_000, async () => {
      const res = await fetch(`${api}/rules`);
      const body = (await res.json()) as {
        data: {
          groups: {
            name: string;
            rules: { name: string; health: string; lastError?: string; lastEvaluation: string }[];
          }[];
        };
      };
      const g = body.data.groups;
      const all = g.flatMap((x) => x.rules);
      return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? g : undefined;
    });
    expect(groups.map((g) => [g.name, g.rules.length]).sort()).toEqual([
      ['voxtrace-alerts', 42],
      ['voxtrace-recording', 25],
    ]);
    for (const r of groups.flatMap((g) => g.rules))
      expect([r.name, r.health, r.lastError ?? '']).toEqual([r.name, 'ok', '']);
    // The recording rules produce the fleet figures from the scraped series (once both scrapes are in).
    await until('the fleet worker count recorded', 10_000, async () =>
      (await query('voxtrace:workers_active:sum')) === 2 ? true : undefined,
    );
  }, 30_000);

  it("runs every query of the generated dashboard; the fleet's panels show the scraped figures", async () => {
    const dashboard = generateGrafanaDashboard();
    for (const p of dashboard.panels)
      for (const t of p.targets ?? []) {
        const res = await fetch(`${api}/query?query=${encodeURIComponent(t.expr)}`);
        const body = (await res.json()) as { status: string; error?: string };
        expect([p.title, t.legendFormat, body.status, body.error ?? '']).toEqual([
          p.title,
          t.legendFormat,
          'success',
          '',
        ]);
      }
    const workers = dashboard.panels.find((p) => p.title === 'Active workers')!.targets![0]!.expr;
    expect(await query(workers)).toBe(2);
  });
});

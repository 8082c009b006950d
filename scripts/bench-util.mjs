// Shared pieces of the benchmarks: repeated tinybench runs with medians, heap readings, and the rows
// of the table `npm run bench` writes to docs/benchmarks.md.
import { cpus, loadavg } from 'node:os';
import { Bench } from 'tinybench';

/** Rounds of every timed comparison; the table reports medians over them. */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs `tasks` (name → function) `rounds` times, each round all tasks in turn, and returns per task
 * the median over rounds of its median and mean time per call (µs), plus the median over rounds of
 * each task's ratio to `baseline` (so a noisy round affects both sides of its own ratio).
 */
export async function measure(tasks, { baseline, rounds = ROUNDS, time = 1000, warmupTime = 300 } = {}) {
  const bench = new Bench({ time, warmupTime });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  const p50 = {};
  const mean = {};
  const ratios = {};
  for (let r = 0; r < rounds; r++) {
    await bench.run();
    const round = Object.fromEntries(bench.tasks.map((t) => [t.name, t.result.latency]));
    for (const [name, latency] of Object.entries(round)) {
      (p50[name] ??= []).push(latency.p50 * 1000);
      (mean[name] ??= []).push(latency.mean * 1000);
      if (baseline) (ratios[name] ??= []).push(latency.p50 / round[baseline].p50);
    }
  }
  const out = {};
  for (const name of Object.keys(tasks))
    out[name] = {
      p50: median(p50[name]),
      mean: median(mean[name]),
      ratio: baseline ? median(ratios[name]) : null,
      rounds: p50[name],
    };
  return out;
}

/** Heap in use after full collections (needs `node --expose-gc`). */
export function heapUsed() {
  if (!globalThis.gc) throw new Error('run with node --expose-gc (npm run bench does)');
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** The machine as the run found it. */
export function machine() {
  const cores = cpus().length;
  const [load1, load5] = loadavg();
  return {
    node: process.version,
    cores,
    cpu: cpus()[0]?.model ?? 'unknown',
    load1,
    load5,
    busy: load1 > cores,
  };
}

export const fmt = {
  us: (v) => `${v.toFixed(1)} µs`,
  ns: (v) => `${(v * 1000).toFixed(0)} ns`,
  x: (v) => `${v.toFixed(2)}×`,
  kb: (v) => `${(v / 1024).toFixed(1)} KB`,
  mb: (v) => `${(v / 1024 / 1024).toFixed(2)} MB`,
  pct: (v) => `${(v * 100).toFixed(2)} %`,
  rate: (v) => `${Math.round(v).toLocaleString('en-US')}/s`,
};

/**
 * A row of the table: what was measured, our figure, the baseline's, their ratio, the target and
 * whether it is met (`null` when the row has no target).
 */
export function row(what, ours, baseline, ratio, target, met) {
  return { what, ours, baseline, ratio, target, met };
}

/** The rows as a Markdown table. */
export function table(rows) {
  const head = '| What | Ours | Baseline | Ratio | Target | Met |\n|---|---:|---:|---:|---|:---:|';
  const mark = (met) => (met === null ? '—' : met ? '✅ met' : '❌ not met');
  return [
    head,
    ...rows.map(
      (r) => `| ${r.what} | ${r.ours} | ${r.baseline} | ${r.ratio} | ${r.target} | ${mark(r.met)} |`,
    ),
  ].join('\n');
}

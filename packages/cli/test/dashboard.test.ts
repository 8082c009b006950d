/**
 * `voxtrace dashboard`: a Grafana dashboard JSON whose panels query only metrics a voxtrace process
 * serves, whose threshold lines are the thresholds in force, and whose queries are valid PromQL.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createVoxtrace } from '@voxtrace/core';
import { type DashboardPanel, type GrafanaDashboard, generateGrafanaDashboard } from '@voxtrace/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { haveTool, runTool } from './helpers/tools.js';
import { CLI, ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

const exec = promisify(execFile);

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // range durations
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\b(and|or|unless|bool|offset)\b/g, '');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length).trimStart();
    if (after.startsWith('(')) continue; // a function
    names.push(m[0]);
  }
  return names;
}

/** Every sample name one voxtrace process serves (histograms with their suffixes). */
async function servedNames(): Promise<Set<string>> {
  const vt = createVoxtrace({ otlp: false });
  const names = new Set<string>();
  for (const m of await vt.registry!.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(m.name + s);
  }
  await vt.shutdown();
  return names;
}

const steps = (p: DashboardPanel) => p.fieldConfig!.defaults.thresholds!.steps.map((s) => s.value);
const panelNamed = (d: GrafanaDashboard, title: string) => d.panels.find((p) => p.title === title)!;

let dir: string;
let dashboard: GrafanaDashboard;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'voxtrace-dashboard-'));
  const { stdout } = await exec(process.execPath, [CLI, 'dashboard', '--out', join(dir, 'dashboard.json')]);
  expect(stdout).toMatch(/wrote .*dashboard\.json/);
  dashboard = JSON.parse(await readFile(join(dir, 'dashboard.json'), 'utf8'));
});

describe('voxtrace dashboard', () => {
  it('writes a Grafana dashboard model: unique panel ids, a 24-column grid, a Prometheus data source variable', () => {
    expect(dashboard).toMatchObject({
      uid: 'voxtrace-fleet',
      schemaVersion: 39,
      title: 'Voice agents (voxtrace)',
    });
    expect(dashboard.templating.list[0]).toMatchObject({
      name: 'datasource',
      type: 'datasource',
      query: 'prometheus',
    });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.targets!.length, p.title).toBeGreaterThan(0);
      expect(new Set(p.targets!.map((t) => t.refId)).size, p.title).toBe(p.targets!.length);
      for (const t of p.targets!) expect(t.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
    }
    expect(dashboard.panels.map((p) => p.type)).toEqual(
      expect.arrayContaining(['gauge', 'stat', 'timeseries', 'bargauge', 'row']),
    );
  });

  it('queries only the metrics a voxtrace process serves', async () => {
    const served = await servedNames();
    const used = new Set(
      dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricNamesIn(t.expr))),
    );
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(served, name).toContain(name);
    // The parser finds a name it must not accept.
    expect(metricNamesIn('sum(rate(agent_request_total{status="error"}[5m])) by (le)')).toEqual([
      'agent_request_total',
    ]);
  });

  it('draws the thresholds in force: latency percentiles, components, error and success rates, severity', () => {
    expect(steps(panelNamed(dashboard, 'Turn latency percentiles (fleet)'))).toEqual([null, 3.5, 5, 7, 15]);
    expect(
      panelNamed(dashboard, 'Turn latency percentiles (fleet)').fieldConfig!.defaults.custom,
    ).toMatchObject({
      thresholdsStyle: { mode: 'line+area' },
    });
    expect(steps(panelNamed(dashboard, 'Turn latency P50'))).toEqual([null, 1.5, 2]);
    expect(steps(panelNamed(dashboard, 'Turn latency P95'))).toEqual([null, 5, 7]);
    expect(steps(panelNamed(dashboard, 'Turn latency P99'))).toEqual([null, 10, 15]);
    const components = panelNamed(dashboard, 'Component P90 now').fieldConfig!.overrides;
    const band = (name: string) =>
      (
        components.find((o) => o.matcher.options === name)!.properties[0]!.value as {
          steps: { value: number | null }[];
        }
      ).steps.map((s) => s.value);
    expect(band('STT')).toEqual([null, 0.2, 0.4]);
    expect(band('LLM TTFT')).toEqual([null, 0.4, 0.8]);
    expect(band('LLM full response')).toEqual([null, 1, 2]);
    expect(band('TTS TTFB')).toEqual([null, 0.15, 0.3]);
    expect(band('Turn detection')).toEqual([null, 0.4, 0.6]);
    expect(band('Network/other')).toEqual([null, 0.1, 0.2]);
    expect(steps(panelNamed(dashboard, 'Error rates (fleet)'))).toEqual([null, 0.02, 0.05]);
    expect(steps(panelNamed(dashboard, 'Call success, connect and task completion (fleet)'))).toEqual([
      null,
      0.85,
      0.95,
    ]);
    expect(steps(panelNamed(dashboard, 'Severity (worst process monitor)'))).toEqual([null, 1, 2, 3]);
  });

  it('follows --thresholds', async () => {
    await writeFile(
      join(dir, 'thresholds.json'),
      JSON.stringify({
        e2eLatency: { p90: { targetMs: 3000, warningMs: 3000, criticalMs: 4500 } },
        sevTriggers: { sev2P90Ms: 6000 },
        componentLatency: { stt: { targetMs: 150, warningMs: 250, criticalMs: 500 } },
        alertRules: { errorRate: 0.1 },
      }),
    );
    const { stdout } = await exec(process.execPath, [
      CLI,
      'dashboard',
      '--thresholds',
      join(dir, 'thresholds.json'),
    ]);
    const custom = JSON.parse(stdout) as GrafanaDashboard;
    expect(steps(panelNamed(custom, 'Turn latency percentiles (fleet)'))).toEqual([null, 3, 4.5, 6, 15]);
    expect(steps(panelNamed(custom, 'Error rates (fleet)'))).toEqual([null, 0.02, 0.1]);
    const stt = panelNamed(custom, 'Component P90 now').fieldConfig!.overrides.find(
      (o) => o.matcher.options === 'STT',
    )!;
    expect(
      (stt.properties[0]!.value as { steps: { value: number | null }[] }).steps.map((s) => s.value),
    ).toEqual([null, 0.25, 0.5]);
    expect(
      generateGrafanaDashboard({}, { windowMs: 600_000 }).panels.some((p) =>
        p.targets?.some((t) => t.expr.includes('[10m]')),
      ),
    ).toBe(true);
  });

  it.skipIf(!haveTool('promtool'))('every query is valid PromQL (promtool check rules)', async () => {
    const exprs = [...new Set(dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)))];
    await writeFile(
      join(dir, 'queries.yml'),
      stringify({
        groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:q${i}`, expr })) }],
      }),
    );
    const r = runTool('promtool', ['check', 'rules', 'queries.yml'], { cwd: dir });
    expect(r.output).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });
});

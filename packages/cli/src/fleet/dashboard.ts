/**
 * A Grafana dashboard (JSON model, schema 39) for a fleet of voxtrace processes, generated from the
 * thresholds and the metric names: turn latency percentiles with the thresholds drawn as lines, the
 * component P90s against their bands, error and success rates against the alert thresholds, the
 * severity the processes' monitors report, workers and traffic. Every query is one of the fleet
 * figures the alerts use (`promql.ts`), so the dashboard shows what pages.
 */
import {
  type MonitorMetric,
  resolveThresholds,
  type ThresholdOverrides,
  VOXTRACE_METRIC_NAMES,
} from '@voxtrace/core';
import { SEED_METRIC_NAMES, SEVERITY_LEVELS, type Thresholds } from '@voxtrace/core/thresholds';
import { isExported, type PromFigure, promDuration, promFigures } from './promql.js';

/** Options of {@link generateGrafanaDashboard}. */
export interface DashboardOptions {
  /** Dashboard title. Default `Voice agents (voxtrace)`. */
  title?: string;
  /** Dashboard uid. Default `voxtrace-fleet`. */
  uid?: string;
  /** Window of the rates and quantiles, ms (the monitor's `windowMs`). Default 300 000. */
  windowMs?: number;
}

/** A threshold step: from `value` on (the first has `null`: from minus infinity), `color`. */
export interface ThresholdStep {
  color: string;
  value: number | null;
}

/** A Prometheus query of a panel. */
export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  datasource: { type: 'prometheus'; uid: string };
}

/** A panel of the dashboard (the fields voxtrace sets). */
export interface DashboardPanel {
  id: number;
  type: 'timeseries' | 'stat' | 'gauge' | 'bargauge' | 'row';
  title: string;
  description?: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: 'prometheus'; uid: string };
  targets?: DashboardTarget[];
  fieldConfig?: {
    defaults: Record<string, unknown> & {
      unit?: string;
      thresholds?: { mode: 'absolute'; steps: ThresholdStep[] };
    };
    overrides: { matcher: { id: string; options: string }; properties: { id: string; value: unknown }[] }[];
  };
  options?: Record<string, unknown>;
  collapsed?: boolean;
}

/** The dashboard JSON model. */
export interface GrafanaDashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  version: number;
  editable: boolean;
  tags: string[];
  time: { from: string; to: string };
  refresh: string;
  timezone: string;
  templating: { list: Record<string, unknown>[] };
  annotations: { list: unknown[] };
  panels: DashboardPanel[];
}

const DS = { type: 'prometheus' as const, uid: '${datasource}' };
const COLORS = { ok: 'green', warning: 'yellow', critical: 'orange', sev2: 'red', sev1: 'dark-red' };

/** Threshold steps: green below the lowest value, then each color from its value on. */
const steps = (...points: [number, string][]): ThresholdStep[] => [
  { color: COLORS.ok, value: null },
  ...[...points].sort((a, b) => a[0] - b[0]).map(([value, color]) => ({ color, value })),
];

/**
 * Generates the dashboard for a threshold set (defaults, or overrides as `createVoxtrace({ thresholds })`
 * takes them). Latencies are in seconds, rates as fractions (`percentunit`).
 */
export function generateGrafanaDashboard(
  thresholds: ThresholdOverrides = {},
  options: DashboardOptions = {},
): GrafanaDashboard {
  const t = resolveThresholds(thresholds);
  const windowMs = options.windowMs ?? 300_000;
  const figures = promFigures(windowMs);
  const fig = (m: MonitorMetric): PromFigure => {
    const f = figures[m];
    if (!isExported(f)) throw new Error(`${m} has no Prometheus figure`);
    return f;
  };
  const s = (ms: number) => ms / 1000;
  let id = 0;
  let refs = 0;
  const target = (expr: string, legendFormat: string): DashboardTarget => ({
    refId: String.fromCharCode(65 + (refs++ % 26)),
    expr,
    legendFormat,
    datasource: DS,
  });
  const panel = (
    p: Omit<DashboardPanel, 'id' | 'datasource' | 'targets'> & { targets?: DashboardTarget[] },
  ): DashboardPanel => {
    refs = 0;
    return { id: ++id, ...(p.targets ? { datasource: DS } : {}), ...p };
  };
  const row = (title: string, y: number): DashboardPanel =>
    panel({ type: 'row', title, gridPos: { x: 0, y, w: 24, h: 1 }, collapsed: false });
  const lines = { custom: { thresholdsStyle: { mode: 'line+area' }, lineWidth: 2, fillOpacity: 0 } };
  const p90 = t.e2eLatency.p90;
  const bands: [keyof Thresholds['e2eLatency'], MonitorMetric][] = [
    ['p50', 'e2eLatencyP50Ms'],
    ['p90', 'e2eLatencyP90Ms'],
    ['p95', 'e2eLatencyP95Ms'],
    ['p99', 'e2eLatencyP99Ms'],
  ];
  const components: [keyof Thresholds['componentLatency'], MonitorMetric, string][] = [
    ['stt', 'sttLatencyP90Ms', 'STT'],
    ['turnDetection', 'turnDetectionDelayP90Ms', 'Turn detection'],
    ['llmTtft', 'llmTtftP90Ms', 'LLM TTFT'],
    ['llmTotal', 'llmTotalP90Ms', 'LLM full response'],
    ['ttsTtfb', 'ttsTtfbP90Ms', 'TTS TTFB'],
    ['network', 'networkLatencyP90Ms', 'Network/other'],
  ];
  const rates: [MonitorMetric, string][] = [
    ['turnErrorRate', 'Turn error rate'],
    ['sttFailureRate', 'STT failure rate'],
    ['llmErrorRate', 'LLM error rate'],
    ['toolErrorRate', 'Tool error rate'],
    ['ttsErrorRate', 'TTS error rate'],
  ];
  const w = promDuration(windowMs);

  const panels: DashboardPanel[] = [
    row('Now', 0),
    panel({
      type: 'gauge',
      title: 'Severity (worst process monitor)',
      description:
        'voxtrace_severity: the worst severity any process monitor reports now (0 none, 1 SEV-3, 2 SEV-2, 3 SEV-1). The fleet alerts route by the same levels.',
      gridPos: { x: 0, y: 1, w: 6, h: 7 },
      targets: [target(`max(${VOXTRACE_METRIC_NAMES.severity})`, 'severity')],
      fieldConfig: {
        defaults: {
          min: 0,
          max: 3,
          decimals: 0,
          thresholds: {
            mode: 'absolute',
            steps: steps([1, COLORS.warning], [2, COLORS.sev2], [3, COLORS.sev1]),
          },
          mappings: [
            {
              type: 'value',
              options: {
                '0': { text: 'none', index: 0 },
                '1': { text: 'SEV-3', index: 1 },
                '2': { text: 'SEV-2', index: 2 },
                '3': { text: 'SEV-1', index: 3 },
              },
            },
          ],
        },
        overrides: [],
      },
      options: {
        showThresholdMarkers: true,
        showThresholdLabels: false,
        reduceOptions: { calcs: ['lastNotNull'] },
      },
    }),
    ...bands.map(([band, metric], i) =>
      panel({
        type: 'stat',
        title: `Turn latency ${band.toUpperCase()}`,
        description: `Fleet ${band.toUpperCase()} over ${w}; yellow from ${s(t.e2eLatency[band].warningMs)} s, orange from ${s(t.e2eLatency[band].criticalMs)} s (seed 000 latency targets).`,
        gridPos: { x: 6 + i * 3, y: 1, w: 3, h: 7 },
        targets: [target(fig(metric).expr, band)],
        fieldConfig: {
          defaults: {
            unit: 's',
            decimals: 2,
            thresholds: {
              mode: 'absolute',
              steps: steps(
                [s(t.e2eLatency[band].warningMs), COLORS.warning],
                [s(t.e2eLatency[band].criticalMs), COLORS.critical],
              ),
            },
          },
          overrides: [],
        },
        options: { colorMode: 'background', reduceOptions: { calcs: ['lastNotNull'] } },
      }),
    ),
    panel({
      type: 'stat',
      title: 'Active workers',
      description: `sum(${SEED_METRIC_NAMES.workersActive}); NoActiveAgents (${SEVERITY_LEVELS['SEV-1'].example}) fires at 0.`,
      gridPos: { x: 18, y: 1, w: 3, h: 7 },
      targets: [target(fig('workersActive').expr, 'workers')],
      fieldConfig: {
        defaults: {
          decimals: 0,
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: COLORS.sev1, value: null },
              { color: COLORS.ok, value: 1 },
            ],
          },
        },
        overrides: [],
      },
      options: { colorMode: 'background', reduceOptions: { calcs: ['lastNotNull'] } },
    }),
    panel({
      type: 'stat',
      title: 'Calls in progress',
      gridPos: { x: 21, y: 1, w: 3, h: 7 },
      targets: [target(`sum(${VOXTRACE_METRIC_NAMES.activeConversations})`, 'calls')],
      fieldConfig: { defaults: { decimals: 0 }, overrides: [] },
      options: { reduceOptions: { calcs: ['lastNotNull'] } },
    }),
    row('Turn latency (end of user speech → first agent audio)', 8),
    panel({
      type: 'timeseries',
      title: 'Turn latency percentiles (fleet)',
      description: `histogram_quantile over ${SEED_METRIC_NAMES.responseSeconds}_bucket summed over every process. Lines: P90 target/warning ${s(p90.warningMs)} s, critical ${s(p90.criticalMs)} s, SEV-2 trigger ${s(t.sevTriggers.sev2P90Ms)} s, SEV-1 trigger ${s(t.sevTriggers.sev1P90Ms)} s. Quantiles above the top bucket (15 s) read as 15 s.`,
      gridPos: { x: 0, y: 9, w: 16, h: 9 },
      targets: bands.map(([band, metric]) => target(fig(metric).expr, band.toUpperCase())),
      fieldConfig: {
        defaults: {
          unit: 's',
          ...lines,
          thresholds: {
            mode: 'absolute',
            steps: steps(
              [s(p90.warningMs), COLORS.warning],
              [s(p90.criticalMs), COLORS.critical],
              [s(t.sevTriggers.sev2P90Ms), COLORS.sev2],
              [s(t.sevTriggers.sev1P90Ms), COLORS.sev1],
            ),
          },
        },
        overrides: [],
      },
      options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] } },
    }),
    panel({
      type: 'timeseries',
      title: 'Turns and calls per second',
      gridPos: { x: 16, y: 9, w: 8, h: 9 },
      targets: [
        target(`sum(rate(${SEED_METRIC_NAMES.requestsTotal}[${w}]))`, 'turns'),
        target(
          `sum by (outcome) (rate(${VOXTRACE_METRIC_NAMES.conversationsTotal}[${w}]))`,
          'calls {{outcome}}',
        ),
      ],
      fieldConfig: { defaults: { unit: 'reqps' }, overrides: [] },
    }),
    row('Components (which part of the turn is slow)', 18),
    panel({
      type: 'bargauge',
      title: 'Component P90 now',
      description:
        'Each bar is coloured by its own band (seed 000 production latency benchmarks): yellow from warning, orange from critical.',
      gridPos: { x: 0, y: 19, w: 8, h: 9 },
      targets: components.map(([, metric, name]) => target(fig(metric).expr, name)),
      fieldConfig: {
        defaults: { unit: 's', decimals: 3 },
        overrides: components.map(([c, , name]) => ({
          matcher: { id: 'byName', options: name },
          properties: [
            {
              id: 'thresholds',
              value: {
                mode: 'absolute',
                steps: steps(
                  [s(t.componentLatency[c].warningMs), COLORS.warning],
                  [s(t.componentLatency[c].criticalMs), COLORS.critical],
                ),
              },
            },
          ],
        })),
      },
      options: {
        displayMode: 'gradient',
        orientation: 'horizontal',
        reduceOptions: { calcs: ['lastNotNull'] },
      },
    }),
    panel({
      type: 'timeseries',
      title: 'Component P90 (fleet)',
      gridPos: { x: 8, y: 19, w: 16, h: 9 },
      targets: [
        ...components.map(([, metric, name]) => target(fig(metric).expr, name)),
        target(fig('toolDurationP90Ms').expr, 'Tools'),
      ],
      fieldConfig: { defaults: { unit: 's' }, overrides: [] },
      options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] } },
    }),
    row('Errors and outcomes', 28),
    panel({
      type: 'timeseries',
      title: 'Error rates (fleet)',
      description: `Lines: AgentHighErrorRate ${t.alertRules.errorRate * 100} % of turns, STTFailureRate ${t.alertRules.sttFailureRate * 100} % (seed 003); TTS error rate critical ${t.quality.ttsErrorRate.critical * 100} % (seed 000).`,
      gridPos: { x: 0, y: 29, w: 12, h: 9 },
      targets: rates.map(([metric, name]) => target(fig(metric).expr, name)),
      fieldConfig: {
        defaults: {
          unit: 'percentunit',
          ...lines,
          thresholds: {
            mode: 'absolute',
            steps: steps(
              [t.alertRules.sttFailureRate, COLORS.warning],
              [t.alertRules.errorRate, COLORS.sev2],
            ),
          },
        },
        overrides: [],
      },
    }),
    panel({
      type: 'timeseries',
      title: 'Call success, connect and task completion (fleet)',
      description: `Lines: call success warning ${t.quality.callSuccessRate.warning * 100} %, critical ${t.quality.callSuccessRate.critical * 100} % (seed 000).`,
      gridPos: { x: 12, y: 29, w: 12, h: 9 },
      targets: [
        target(fig('callSuccessRate').expr, 'Call success'),
        target(fig('callConnectRate').expr, 'Call connect'),
        target(fig('taskCompletionRate').expr, 'Task completion'),
        target(fig('escalationRate').expr, 'Escalation'),
      ],
      fieldConfig: {
        defaults: {
          unit: 'percentunit',
          min: 0,
          max: 1,
          ...lines,
          thresholds: {
            mode: 'absolute',
            steps: [
              { color: COLORS.sev2, value: null },
              { color: COLORS.warning, value: t.quality.callSuccessRate.critical },
              { color: COLORS.ok, value: t.quality.callSuccessRate.warning },
            ],
          },
        },
        overrides: [],
      },
    }),
  ];
  return {
    title: options.title ?? 'Voice agents (voxtrace)',
    uid: options.uid ?? 'voxtrace-fleet',
    schemaVersion: 39,
    version: 1,
    editable: true,
    tags: ['voxtrace', 'voice-agents'],
    time: { from: 'now-6h', to: 'now' },
    refresh: '30s',
    timezone: 'utc',
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels,
  };
}

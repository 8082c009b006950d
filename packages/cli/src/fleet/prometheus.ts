/**
 * Prometheus rule files generated from the in-process monitor's own rules (`defaultRules(thresholds)`),
 * so the fleet's alerts and each process's monitor cannot drift: the same figures (see `promql.ts`),
 * comparators, thresholds, minimum sample counts, `for` durations and severities. Seed 003's four
 * rules keep their names; every expression aggregates the fleet (`sum` before dividing, quantiles over
 * `sum by (le)`), and the monitor's minimum-sample guard keeps a few slow turns from paging anyone.
 *
 * Labels: `severity` (`critical` for SEV-1, `warning` for SEV-2 and SEV-3, as seed 003 routes them),
 * `sev`, `layer` and `monitor_rule`. A rule the monitor attributes at evaluation (`layer: 'auto'`, e.g.
 * from the latency breakdown) carries `layer="end_to_end"`: Prometheus has no breakdown series, and its
 * runbook covers every layer.
 */
import {
  type MonitorMetric,
  MONITOR_METRIC_INFO,
  type MonitorRule,
  defaultRules,
  monitorRuleSchema,
  resolveThresholds,
  type ThresholdOverrides,
  VOXTRACE_METRIC_NAMES,
} from '@voxtrace/core';
import {
  ALERT_RULES,
  type Comparator,
  type Layer,
  RESPONSE_LATENCY_BUCKETS_SECONDS,
  type Severity,
  SEVERITY_LEVELS,
} from '@voxtrace/core/thresholds';
import { stringify } from 'yaml';
import { formatValue } from './format.js';
import {
  isExported,
  type PromFigure,
  promDuration,
  promFigures,
  quantileCondition,
  scaleOf,
} from './promql.js';
import { type RunbookAlert, runbookFileName } from './runbook.js';

/** Seed 003's runbook host, the default base of the generated runbook links. */
export const DEFAULT_RUNBOOK_BASE_URL = 'https://wiki.example.com/runbooks';

/** Options of {@link generatePrometheusRules}. */
export interface PrometheusRulesOptions {
  /** Where the generated runbooks are published; `runbook_url` is `<base>/<Alert>.md`. Default {@link DEFAULT_RUNBOOK_BASE_URL}. */
  runbookBaseUrl?: string;
  /** Window of the rates and quantiles, ms: the monitor's `windowMs`. Default 300 000 (`[5m]`). */
  windowMs?: number;
  /** `for` by severity of the default rules, as `createVoxtrace({ monitor: { forMs } })`. */
  forMs?: Partial<Record<Severity, number>>;
  /**
   * The monitor rules to translate, when you changed them (`vt.monitor.rules`). Default
   * `defaultRules(thresholds, { forMs })`.
   */
  rules?: readonly MonitorRule[];
}

/** A Prometheus recording rule. */
export interface RecordingRule {
  record: string;
  expr: string;
}

/** Labels of a generated alert. */
export interface AlertLabels {
  severity: 'critical' | 'warning';
  sev: Severity;
  layer: Layer | 'end_to_end';
  monitor_rule: string;
}

/** Annotations of a generated alert. */
export interface AlertAnnotations {
  summary: string;
  description: string;
  runbook_url: string;
}

/** A Prometheus alerting rule as written to the file. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  labels: AlertLabels;
  annotations: AlertAnnotations;
}

/** A rule file: `{ groups: [{ name, interval?, rules }] }`. */
export interface RuleFile<R> {
  groups: { name: string; rules: R[] }[];
}

/** A generated alert with the monitor rule it comes from and what its runbook needs. */
export interface GeneratedAlert {
  rule: AlertingRule;
  monitorRule: MonitorRule;
  runbook: RunbookAlert;
}

/** A monitor rule with no Prometheus equivalent. */
export interface UnexportedRule {
  rule: string;
  metric: MonitorMetric;
  severity: Severity;
  reason: string;
}

/** What {@link generatePrometheusRules} returns. */
export interface PrometheusRules {
  /** Recording rules: every exported figure of the fleet, one series each. */
  recording: RuleFile<RecordingRule>;
  /** Alerting rules: every monitor rule Prometheus can evaluate. */
  alerting: RuleFile<AlertingRule>;
  alerts: GeneratedAlert[];
  unexported: UnexportedRule[];
  /** The window, as a Prometheus duration (`5m`). */
  window: string;
}

/** Group names in the rule files. */
export const RULE_GROUPS = { recording: 'voxtrace-recording', alerting: 'voxtrace-alerts' } as const;

/** Alert name of a monitor rule: seed 003's names as they are, others `Voxtrace` + PascalCase (`p90-latency-15s` → `VoxtraceP90Latency15s`). */
export function alertNameOf(ruleName: string): string {
  if (/^[A-Z][A-Za-z0-9]*$/.test(ruleName)) return ruleName;
  const words = ruleName.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return `Voxtrace${words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
}

/** Recording rule name of a figure: `e2eLatencyP90Ms` → `voxtrace:e2e_latency_p90_seconds:5m`. */
export function recordNameOf(metric: MonitorMetric, figure: PromFigure, window: string): string {
  const snake = metric
    .replace(/Ms$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
  if (figure.unit === 'count') return `voxtrace:${snake}:sum`;
  return `voxtrace:${snake}${figure.unit === 'seconds' ? '_seconds' : ''}:${window}`;
}

/**
 * Generates the recording and alerting rules for a threshold set (the defaults, or overrides as
 * `createVoxtrace({ thresholds })` takes them). Throws `ThresholdError` on inconsistent thresholds and
 * a `RangeError` on invalid rules or options.
 */
export function generatePrometheusRules(
  thresholds: ThresholdOverrides = {},
  options: PrometheusRulesOptions = {},
): PrometheusRules {
  const t = resolveThresholds(thresholds);
  const windowMs = options.windowMs ?? 300_000;
  const window = promDuration(windowMs);
  const figures = promFigures(windowMs);
  const base = (options.runbookBaseUrl ?? DEFAULT_RUNBOOK_BASE_URL).replace(/\/+$/, '');
  const monitorRules = (options.rules ?? defaultRules(t, { forMs: options.forMs })).map((r, i) => {
    const parsed = monitorRuleSchema.safeParse(r);
    if (!parsed.success)
      throw new RangeError(`invalid monitor rule #${i}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });

  const recording: RecordingRule[] = [];
  for (const [metric, figure] of Object.entries(figures) as [
    MonitorMetric,
    (typeof figures)[MonitorMetric],
  ][]) {
    if (isExported(figure))
      recording.push({ record: recordNameOf(metric, figure, window), expr: figure.expr });
  }

  const alerts: GeneratedAlert[] = [];
  const unexported: UnexportedRule[] = [];
  const names = new Map<string, string>();
  for (const rule of monitorRules) {
    const figure = figures[rule.metric];
    if (!isExported(figure)) {
      unexported.push({
        rule: rule.name,
        metric: rule.metric,
        severity: rule.severity,
        reason: figure.unexported,
      });
      continue;
    }
    const alert = alertNameOf(rule.name);
    const clash = names.get(alert);
    if (clash) throw new RangeError(`monitor rules ${clash} and ${rule.name} both become alert ${alert}`);
    names.set(alert, rule.name);
    const expr = alertExpr(rule, figure, windowMs);
    if (expr === null) {
      unexported.push({
        rule: rule.name,
        metric: rule.metric,
        severity: rule.severity,
        reason: `threshold ${formatValue(rule.threshold, 'ms')} is beyond the top finite bucket of the latency histograms (${formatValue(RESPONSE_LATENCY_BUCKETS_SECONDS.at(-1)! * 1000, 'ms')}): Prometheus cannot tell a quantile there`,
      });
      continue;
    }
    const info = MONITOR_METRIC_INFO[rule.metric];
    const forDuration = promDuration(rule.forMs);
    const layer = rule.layer === 'auto' ? null : rule.layer;
    const samplesText =
      figure.samples && rule.minSamples > 0
        ? `, with at least ${rule.minSamples} observations in the window`
        : '';
    const summary = summaryOf(rule);
    alerts.push({
      monitorRule: rule,
      rule: {
        alert,
        expr,
        ...(rule.forMs > 0 ? { for: forDuration } : {}),
        labels: {
          severity: SEVERITY_LEVELS[rule.severity].alertmanagerSeverity,
          sev: rule.severity,
          layer: layer ?? 'end_to_end',
          monitor_rule: rule.name,
        },
        annotations: {
          summary,
          description: `${rule.description}. Fleet-wide over ${window}${samplesText}; the in-process monitor's rule ${rule.name} (${rule.source}).`,
          runbook_url: `${base}/${runbookFileName(alert)}`,
        },
      },
      runbook: {
        name: alert,
        summary,
        measures: `${capitalize(info.label)} over the last ${window}, across every voxtrace process${samplesText}`,
        expr,
        forSeconds: rule.forMs / 1000,
        sev: rule.severity,
        layer,
        queries: diagnosticQueries(figure, window),
      },
    });
  }
  return {
    recording: { groups: [{ name: RULE_GROUPS.recording, rules: recording }] },
    alerting: { groups: [{ name: RULE_GROUPS.alerting, rules: alerts.map((a) => a.rule) }] },
    alerts,
    unexported,
    window,
  };
}

/**
 * The runbook's first queries: the alert's figure per process and, for a component, per provider;
 * then where the turn's time and the errors go across the fleet.
 */
function diagnosticQueries(figure: PromFigure, window: string): { title: string; promql: string }[] {
  const by = (label: string) =>
    figure.expr
      .replaceAll('sum by (le) (', `sum by (le, ${label}) (`)
      .replaceAll('sum(', `sum by (${label}) (`);
  const N = VOXTRACE_METRIC_NAMES;
  const queries = [{ title: 'The figure per process (instance)', promql: by('instance') }];
  if (figure.histogram?.name === N.componentLatencySeconds)
    queries.push({ title: 'The figure per provider', promql: by('provider') });
  queries.push(
    {
      title: 'Component P90s across the fleet (which component holds turns up)',
      promql: `histogram_quantile(0.9, sum by (le, component) (rate(${N.componentLatencySeconds}_bucket[${window}])))`,
    },
    {
      title: 'Errors in turns by layer',
      promql: `sum by (layer) (increase(${N.turnErrorsTotal}[${window}]))`,
    },
    {
      title: 'Finished calls by platform and outcome',
      promql: `sum by (platform, outcome) (increase(${N.conversationsTotal}[${window}]))`,
    },
  );
  return queries;
}

/**
 * `figure comparator threshold`, with the rule's band, minimum samples and the figure's guard;
 * `null` when a quantile's threshold is beyond what the histogram measures.
 */
function alertExpr(rule: MonitorRule, figure: PromFigure, windowMs: number): string | null {
  const scale = (v: number) => (scaleOf(figure) === 1 ? v : v / 1000);
  const condition = (comparator: Comparator, v: number) =>
    figure.histogram
      ? quantileCondition(figure, comparator, scale(v), windowMs)
      : `(${figure.expr}) ${comparator} ${scale(v)}`;
  const main = condition(rule.comparator, rule.threshold);
  const band = rule.above === undefined ? '' : condition('>', rule.above);
  if (main === null || band === null) return null;
  const lines = [main];
  if (band) lines.push(`and ${band}`);
  if (figure.samples && rule.minSamples > 0) lines.push(`and on() (${figure.samples} >= ${rule.minSamples})`);
  if (figure.guard) lines.push(`and on() ${figure.guard}`);
  return lines.join('\n');
}

const COMPARATOR_WORDS: Record<Comparator, string> = {
  '>': 'above',
  '>=': 'at or above',
  '<': 'below',
  '<=': 'at or below',
  '==': 'at',
};

/** Seed 003's summary for its rules at their seed threshold; otherwise `Turn latency P90 above 15 s`. */
function summaryOf(rule: MonitorRule): string {
  const seed = (ALERT_RULES as Record<string, (typeof ALERT_RULES)[keyof typeof ALERT_RULES]>)[rule.name];
  const { label, unit } = MONITOR_METRIC_INFO[rule.metric];
  if (seed && rule.threshold === seed.threshold * (unit === 'ms' ? 1000 : 1)) return seed.summary;
  const band = rule.above === undefined ? '' : `above ${formatValue(rule.above, unit)} and `;
  return `${capitalize(label)} ${band}${COMPARATOR_WORDS[rule.comparator]} ${formatValue(rule.threshold, unit)}`;
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** The rule files as YAML, each with a header naming its origin and what it leaves out. */
export function prometheusRulesYaml(rules: PrometheusRules): {
  recording: string;
  alerting: string;
  /** Both groups in one rule file. */
  combined: string;
} {
  const origin = `# Generated by \`voxtrace rules\` from @voxtrace/core's thresholds and the in-process monitor's rules\n# (defaultRules(thresholds)); regenerate instead of editing. Window: ${rules.window}.\n`;
  const left =
    rules.unexported.length === 0
      ? '#\n# Every monitor rule has an alert below.\n'
      : `#\n# Monitor rules with no alert here (they need what no exported metric carries; the in-process\n# monitor still evaluates them):\n${rules.unexported
          .map((u) => `#   - ${u.rule} (${u.severity}, ${u.metric}): ${u.reason}`)
          .join('\n')}\n`;
  const labels =
    '#\n# Labels: severity (critical = SEV-1, warning = SEV-2/SEV-3), sev, layer (end_to_end when the monitor finds\n# the layer at evaluation), monitor_rule. Route them with the generated alertmanager.yml.\n';
  const recordingNote =
    '#\n# Recording rules: every fleet figure the alerts read, for dashboards and ad-hoc queries.\n';
  const yaml = (v: unknown) => stringify(v, { lineWidth: 0 });
  return {
    recording: `${origin}${recordingNote}${yaml(rules.recording)}`,
    alerting: `${origin}${left}${labels}${yaml(rules.alerting)}`,
    combined: `${origin}${left}${labels}${yaml({ groups: [...rules.recording.groups, ...rules.alerting.groups] })}`,
  };
}

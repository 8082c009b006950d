/**
 * Rules as data: each names a figure of the window, a comparison, a `for` duration, a severity, a
 * layer and a minimum sample count. The defaults are built from the resolved `Thresholds`, so a
 * user's threshold overrides move them; `docs/severity.md` says which severity each carries and why.
 *
 * A rule's state follows a Prometheus alerting rule: `inactive` → `pending` when its condition
 * first holds at an evaluation → `firing` once it has held for `forMs` → `resolved` when it
 * stops holding. A `for` of 0 fires at the first evaluation that sees the condition.
 */
import { z } from 'zod';
import {
  ALERT_RULES,
  type Comparator,
  type Layer,
  type QUALITY_THRESHOLDS,
  type QualityThreshold,
  SEV1_TRIGGERS,
  SEV2_TRIGGERS,
  SEV3_TRIGGERS,
  type Severity,
  type SeverityTrigger,
  type Thresholds,
} from '../thresholds.js';
import { type MonitorMetric, monitorMetricSchema, type Reading } from './measures.js';

/** Layers a rule can name; `auto` finds it at evaluation (latency breakdown or error layers). */
export const ruleLayerSchema = z.enum([
  'telephony',
  'stt',
  'llm',
  'tool',
  'tts',
  'dialog',
  'turn_detection',
  'network',
  'auto',
]);

/** Zod schema of a {@link MonitorRule}. */
export const monitorRuleSchema = z.object({
  /** Unique name: a seed trigger id (`p90-latency-15s`), a seed 003 alert (`AgentHighErrorRate`)… */
  name: z.string().min(1).max(200),
  /** What the rule watches, in words. */
  description: z.string().max(1000),
  metric: monitorMetricSchema,
  comparator: z.enum(['>', '>=', '<', '<=', '==']),
  threshold: z.number().finite(),
  /** Also require the value to be strictly above this (a band such as 0 < share < 5 %). */
  above: z.number().finite().optional(),
  /** How long the condition must hold before the rule fires, ms (Prometheus `for`). */
  forMs: z.number().finite().nonnegative(),
  severity: z.enum(['SEV-1', 'SEV-2', 'SEV-3']),
  layer: ruleLayerSchema,
  /** Fewer observations than this and the condition does not hold (no SEV-1 from three turns). */
  minSamples: z.number().int().nonnegative(),
  /** Where the rule comes from, e.g. `SEV1_TRIGGERS` or `QUALITY_THRESHOLDS.callSuccessRate.warning`. */
  source: z.string().max(200),
});
/** A monitor rule. */
export type MonitorRule = z.infer<typeof monitorRuleSchema>;

/** A rule's state (see the module comment). */
export type RuleState = 'inactive' | 'pending' | 'firing' | 'resolved';

/** `for` durations of the default rules by severity (seed 003's own rules keep theirs). */
export const DEFAULT_FOR_MS: Readonly<Record<Severity, number>> = {
  // NoActiveAgents' 1m: the seed's only rule for a total outage.
  'SEV-1': 60_000,
  // AgentHighErrorRate / STTFailureRate: 2m for the seed's critical rules.
  'SEV-2': 120_000,
  // AgentHighLatency: 3m for the seed's warning rule.
  'SEV-3': 180_000,
};

/**
 * Minimum sample counts of the default rules. A quantile `q` needs at least 5 observations above
 * it (`ceil(5 / (1 − q))`, at least 20): P90 50 turns, P95 100, P99 500.
 */
export const DEFAULT_MIN_SAMPLES = {
  /** Turns, STT requests or component calls behind a turn-level rate. */
  turnRate: 20,
  /** Finished calls behind a call-level rate. */
  callRate: 10,
  /** Finished calls behind the latency-spike share (1 call in 20 is 5 %). */
  spikeShare: 20,
  /** Ground-truth observations (words for WER). */
  quality: 20,
  /** Component calls behind a component P90. */
  componentLatency: 50,
  /** Turns in the window and in the same hour of an earlier week before the baseline rule can fire. */
  baseline: 100,
} as const;

/** Minimum samples of a rule on quantile `q`. */
export const minSamplesForQuantile = (q: number): number => Math.max(20, Math.ceil(5 / (1 - q) - 1e-9));

/** Options of {@link defaultRules}. */
export interface DefaultRuleOptions {
  /** `for` by severity, merged over {@link DEFAULT_FOR_MS}. */
  forMs?: Partial<Record<Severity, number>>;
}

type TriggerRule = Omit<MonitorRule, 'forMs'>;

/**
 * The default rules for a threshold set: every numeric SEV trigger, every quality threshold
 * (warning and critical), every end-to-end percentile band, every component band, seed 003's four
 * rules and the baseline rule. See `docs/severity.md` for the policy.
 */
export function defaultRules(t: Thresholds, options: DefaultRuleOptions = {}): MonitorRule[] {
  const forMs = { ...DEFAULT_FOR_MS, ...options.forMs };
  const rules: MonitorRule[] = [];
  const add = (r: TriggerRule, forOverride?: number) =>
    rules.push({ ...r, forMs: forOverride ?? forMs[r.severity] });

  // 1. SEV triggers: they define SEV-1 and SEV-2 (and SEV-3 where numeric).
  const s = t.sevTriggers;
  const trigger = (
    list: readonly SeverityTrigger[],
    severity: Severity,
    id: string,
    r: Omit<TriggerRule, 'name' | 'description' | 'severity' | 'source' | 'comparator' | 'threshold'> & {
      threshold?: number;
    },
  ) => {
    const spec = list.find((x) => x.id === id)!;
    add({
      name: id,
      description: spec.description,
      metric: r.metric,
      comparator: spec.comparator!,
      threshold: r.threshold ?? spec.value!,
      ...(r.above === undefined ? {} : { above: r.above }),
      severity,
      layer: r.layer,
      minSamples: r.minSamples,
      source: `SEV${severity.slice(-1)}_TRIGGERS`,
    });
  };
  const p90Min = minSamplesForQuantile(0.9);
  trigger(SEV1_TRIGGERS, 'SEV-1', 'calls-not-connecting', {
    metric: 'callConnectRate',
    layer: 'telephony',
    minSamples: DEFAULT_MIN_SAMPLES.callRate,
  });
  trigger(SEV1_TRIGGERS, 'SEV-1', 'zero-asr-output', {
    metric: 'sttTranscriptRate',
    layer: 'stt',
    minSamples: DEFAULT_MIN_SAMPLES.turnRate,
  });
  trigger(SEV1_TRIGGERS, 'SEV-1', 'p90-latency-15s', {
    metric: 'e2eLatencyP90Ms',
    threshold: s.sev1P90Ms,
    layer: 'auto',
    minSamples: p90Min,
  });
  trigger(SEV1_TRIGGERS, 'SEV-1', 'task-completion-10pct', {
    metric: 'taskCompletionRate',
    threshold: s.sev1TaskCompletionRate,
    layer: 'dialog',
    minSamples: DEFAULT_MIN_SAMPLES.callRate,
  });
  trigger(SEV2_TRIGGERS, 'SEV-2', 'wer-25pct', {
    metric: 'wordErrorRate',
    threshold: s.sev2WordErrorRate,
    layer: 'stt',
    minSamples: DEFAULT_MIN_SAMPLES.quality,
  });
  trigger(SEV2_TRIGGERS, 'SEV-2', 'p90-latency-7s', {
    metric: 'e2eLatencyP90Ms',
    threshold: s.sev2P90Ms,
    layer: 'auto',
    minSamples: p90Min,
  });
  trigger(SEV2_TRIGGERS, 'SEV-2', 'task-completion-50pct', {
    metric: 'taskCompletionRate',
    threshold: s.sev2TaskCompletionRate,
    layer: 'dialog',
    minSamples: DEFAULT_MIN_SAMPLES.callRate,
  });
  trigger(SEV2_TRIGGERS, 'SEV-2', 'intent-misclassification-20pct', {
    metric: 'intentMisclassificationRate',
    threshold: s.sev2IntentMisclassificationRate,
    layer: 'llm',
    minSamples: DEFAULT_MIN_SAMPLES.quality,
  });
  // "Intermittent spikes affecting less than 5 % of calls": some calls spiked, but fewer than 5 %.
  trigger(SEV3_TRIGGERS, 'SEV-3', 'intermittent-latency-spikes', {
    metric: 'latencySpikeCallShare',
    threshold: s.sev3LatencySpikeCallShare,
    above: 0,
    layer: 'auto',
    minSamples: DEFAULT_MIN_SAMPLES.spikeShare,
  });
  trigger(SEV3_TRIGGERS, 'SEV-3', 'non-critical-tool-failures', {
    metric: 'toolErrorRate',
    layer: 'tool',
    minSamples: DEFAULT_MIN_SAMPLES.turnRate,
  });

  // 2. Quality thresholds. Where a SEV trigger watches the same figure, the trigger owns SEV-1/2 and
  // both bands are SEV-3; elsewhere critical is SEV-2 (an SLA-level degradation), warning SEV-3.
  const ownedByTrigger = new Set<keyof typeof QUALITY_THRESHOLDS>([
    'e2eLatencyP90Ms',
    'wordErrorRate',
    'intentAccuracy',
    'taskCompletionRate',
  ]);
  const quality: Record<
    keyof typeof QUALITY_THRESHOLDS,
    { metric: MonitorMetric; layer: MonitorRule['layer'] }
  > = {
    callSuccessRate: { metric: 'callSuccessRate', layer: 'auto' },
    wordErrorRate: { metric: 'wordErrorRate', layer: 'stt' },
    e2eLatencyP90Ms: { metric: 'e2eLatencyP90Ms', layer: 'auto' },
    intentAccuracy: { metric: 'intentAccuracy', layer: 'llm' },
    taskCompletionRate: { metric: 'taskCompletionRate', layer: 'dialog' },
    interruptionFalsePositiveRate: { metric: 'interruptionFalsePositiveRate', layer: 'turn_detection' },
    ttsErrorRate: { metric: 'ttsErrorRate', layer: 'tts' },
    escalationRate: { metric: 'escalationRate', layer: 'dialog' },
  };
  const qualityMin = (metric: MonitorMetric): number => {
    if (metric === 'e2eLatencyP90Ms') return p90Min;
    if (metric === 'ttsErrorRate') return DEFAULT_MIN_SAMPLES.turnRate;
    if (metric === 'callSuccessRate' || metric === 'taskCompletionRate' || metric === 'escalationRate')
      return DEFAULT_MIN_SAMPLES.callRate;
    return DEFAULT_MIN_SAMPLES.quality;
  };
  for (const [key, q] of Object.entries(t.quality) as [keyof typeof QUALITY_THRESHOLDS, QualityThreshold][]) {
    const { metric, layer } = quality[key];
    for (const band of ['warning', 'critical'] as const) {
      add({
        name: `quality.${key}.${band}`,
        description: `${key} ${q.direction} the ${band} threshold (seed 000, "Critical Voice Agent Metrics")`,
        metric,
        comparator: q.direction === 'above' ? '>' : '<',
        threshold: q[band],
        severity: band === 'critical' && !ownedByTrigger.has(key) ? 'SEV-2' : 'SEV-3',
        layer,
        minSamples: qualityMin(metric),
        source: `QUALITY_THRESHOLDS.${key}.${band}`,
      });
    }
  }

  // 3. End-to-end percentile bands: SEV-3 (the trigger lists own SEV-2 at P90 > 7 s, SEV-1 > 15 s).
  const pMetric = {
    p50: 'e2eLatencyP50Ms',
    p90: 'e2eLatencyP90Ms',
    p95: 'e2eLatencyP95Ms',
    p99: 'e2eLatencyP99Ms',
  };
  for (const [p, band] of Object.entries(t.e2eLatency) as [
    keyof typeof pMetric,
    Thresholds['e2eLatency']['p50'],
  ][]) {
    const q = Number(p.slice(1)) / 100;
    for (const level of ['warning', 'critical'] as const) {
      add({
        name: `e2e.${p}.${level}`,
        description: `Turn latency ${p.toUpperCase()} above the ${level} threshold (seed 000, "End-to-end latency targets")`,
        metric: pMetric[p] as MonitorMetric,
        comparator: '>',
        threshold: level === 'warning' ? band.warningMs : band.criticalMs,
        severity: 'SEV-3',
        layer: 'auto',
        minSamples: minSamplesForQuantile(q),
        source: `E2E_LATENCY_THRESHOLDS.${p}.${level}`,
      });
    }
  }

  // 4. Component bands, on each component's P90: SEV-3; their job is to name the layer.
  const cMetric: Record<keyof Thresholds['componentLatency'], [MonitorMetric, Layer]> = {
    stt: ['sttLatencyP90Ms', 'stt'],
    llmTtft: ['llmTtftP90Ms', 'llm'],
    llmTotal: ['llmTotalP90Ms', 'llm'],
    ttsTtfb: ['ttsTtfbP90Ms', 'tts'],
    turnDetection: ['turnDetectionDelayP90Ms', 'turn_detection'],
    network: ['networkLatencyP90Ms', 'network'],
  };
  for (const [c, band] of Object.entries(t.componentLatency) as [
    keyof Thresholds['componentLatency'],
    Thresholds['componentLatency']['stt'],
  ][]) {
    for (const level of ['warning', 'critical'] as const) {
      add({
        name: `component.${c}.${level}`,
        description: `${c} P90 above the ${level} threshold (seed 000, "Production latency benchmarks")`,
        metric: cMetric[c][0],
        comparator: '>',
        threshold: level === 'warning' ? band.warningMs : band.criticalMs,
        severity: 'SEV-3',
        layer: cMetric[c][1],
        minSamples: DEFAULT_MIN_SAMPLES.componentLatency,
        source: `COMPONENT_LATENCY_THRESHOLDS.${c}.${level}`,
      });
    }
  }

  // 5. Seed 003's rules, names and `for` kept: critical → SEV-2, warning → SEV-3, except
  // NoActiveAgents, which is the SEV-1 trigger "all calls failing to connect" seen from the worker.
  const a = t.alertRules;
  add(
    {
      name: ALERT_RULES.AgentHighErrorRate.name,
      description: ALERT_RULES.AgentHighErrorRate.summary,
      metric: 'turnErrorRate',
      comparator: '>',
      threshold: a.errorRate,
      severity: 'SEV-2',
      layer: 'auto',
      minSamples: DEFAULT_MIN_SAMPLES.turnRate,
      source: 'ALERT_RULES.AgentHighErrorRate',
    },
    a.errorRateForSeconds * 1000,
  );
  add(
    {
      name: ALERT_RULES.AgentHighLatency.name,
      description: ALERT_RULES.AgentHighLatency.summary,
      metric: 'e2eLatencyP95Ms',
      comparator: '>',
      threshold: a.p95LatencyMs,
      severity: 'SEV-3',
      layer: 'auto',
      minSamples: minSamplesForQuantile(0.95),
      source: 'ALERT_RULES.AgentHighLatency',
    },
    a.p95LatencyForSeconds * 1000,
  );
  add(
    {
      name: ALERT_RULES.STTFailureRate.name,
      description: ALERT_RULES.STTFailureRate.summary,
      metric: 'sttFailureRate',
      comparator: '>',
      threshold: a.sttFailureRate,
      severity: 'SEV-2',
      layer: 'stt',
      minSamples: DEFAULT_MIN_SAMPLES.turnRate,
      source: 'ALERT_RULES.STTFailureRate',
    },
    a.sttFailureRateForSeconds * 1000,
  );
  add(
    {
      name: ALERT_RULES.NoActiveAgents.name,
      description: ALERT_RULES.NoActiveAgents.summary,
      metric: 'workersActive',
      comparator: ALERT_RULES.NoActiveAgents.comparator,
      threshold: ALERT_RULES.NoActiveAgents.threshold,
      severity: 'SEV-1',
      layer: 'telephony',
      minSamples: 0,
      source: 'ALERT_RULES.NoActiveAgents',
    },
    a.noActiveAgentsForSeconds * 1000,
  );

  // 6. Baseline: P90 more than BASELINE_DEVIATION above the same hour of an earlier week (drift).
  add({
    name: 'baseline.e2eLatencyP90',
    description: `Turn latency P90 more than ${Math.round(t.baselineDeviation * 100)} % above the same hour of the week (seed 000, "Set baseline-relative thresholds")`,
    metric: 'e2eLatencyP90BaselineDeviation',
    comparator: '>',
    threshold: t.baselineDeviation,
    severity: 'SEV-3',
    layer: 'auto',
    minSamples: DEFAULT_MIN_SAMPLES.baseline,
    source: 'BASELINE_DEVIATION',
  });
  return rules;
}

/** Thrown by {@link validateRules} when a rule is malformed or two share a name. */
export class RuleError extends Error {
  override readonly name = 'RuleError';
}

/** Validates rules (schema and unique names) and returns them parsed. */
export function validateRules(rules: readonly unknown[]): MonitorRule[] {
  const seen = new Set<string>();
  return rules.map((r, i) => {
    const parsed = monitorRuleSchema.safeParse(r);
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (x) => `${x.path.map(String).join('.') || 'rule'}: ${x.message}`,
      );
      throw new RuleError(`invalid monitor rule #${i}: ${issues.join('; ')}`);
    }
    if (seen.has(parsed.data.name)) throw new RuleError(`duplicate monitor rule name ${parsed.data.name}`);
    seen.add(parsed.data.name);
    return parsed.data;
  });
}

/** Whether `value comparator threshold` holds. */
export function compare(value: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
    case '==':
      return value === threshold;
  }
}

/** A rule with its live state. */
export class RuleTracker {
  state: RuleState = 'inactive';
  value: number | null = null;
  samples = 0;
  layer: Layer | null = null;
  /** When the condition started to hold (pending since). */
  activeAt: number | null = null;
  firedAt: number | null = null;
  resolvedAt: number | null = null;

  constructor(readonly rule: MonitorRule) {}

  /** Whether the reading meets the rule's condition (enough samples included). */
  holds(r: Reading): boolean {
    const { rule } = this;
    if (r.value === null || r.samples < rule.minSamples) return false;
    if (rule.above !== undefined && !(r.value > rule.above)) return false;
    return compare(r.value, rule.comparator, rule.threshold);
  }

  /** Advances the state at evaluation time `now`; returns the previous state. */
  step(r: Reading, now: number, layer: Layer | null): RuleState {
    const before = this.state;
    this.value = r.value;
    this.samples = r.samples;
    if (this.holds(r)) {
      if (this.state === 'inactive' || this.state === 'resolved') {
        this.state = 'pending';
        this.activeAt = now;
        this.resolvedAt = null;
      }
      if (this.state === 'pending' && now - this.activeAt! >= this.rule.forMs) {
        this.state = 'firing';
        this.firedAt = now;
      }
      this.layer = layer;
    } else if (this.state === 'firing') {
      this.state = 'resolved';
      this.resolvedAt = now;
      this.activeAt = null;
    } else if (this.state === 'pending') {
      this.state = 'inactive';
      this.activeAt = null;
    }
    return before;
  }
}

/** Severity order: SEV-1 is the most severe. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { 'SEV-1': 1, 'SEV-2': 2, 'SEV-3': 3 };

/** The more severe of two severities (`null` is none). */
export function worse(a: Severity | null, b: Severity | null): Severity | null {
  if (a === null) return b;
  if (b === null) return a;
  return SEVERITY_RANK[a] <= SEVERITY_RANK[b] ? a : b;
}

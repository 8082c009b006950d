import {
  ALERT_RULES,
  BASELINE_DEVIATION,
  BOTTLENECK_SHARE,
  COMPONENT_LATENCY_THRESHOLDS,
  CONVERSATIONAL_BREAK_MS,
  DEFAULT_THRESHOLDS,
  E2E_LATENCY_THRESHOLDS,
  QUALITY_THRESHOLDS,
  RESPONSE_LATENCY_BUCKETS_SECONDS,
  ROOT_CAUSE_FREQUENCIES,
  resolveThresholds,
  SEED_RESPONSE_BUCKETS_SECONDS,
  SEV1_TRIGGERS,
  SEV2_TRIGGERS,
  SEV3_TRIGGERS,
  SEVERITY_FACTORS,
  SEVERITY_LEVELS,
  ThresholdError,
} from '@voxtrace/core/thresholds';
import { describe, expect, it } from 'vitest';

// Every figure below is read off the seeds by hand (docs/seeds/000…, 003…), not off the code.
describe('seed 000: end-to-end latency table', () => {
  it.each([
    ['p50', 1500, 1500, 2000],
    ['p90', 3500, 3500, 5000],
    ['p95', 5000, 5000, 7000],
    ['p99', 10000, 10000, 15000],
  ] as const)('%s: target %d, warning from %d, critical above %d', (p, target, warning, critical) => {
    expect(E2E_LATENCY_THRESHOLDS[p]).toEqual({ targetMs: target, warningMs: warning, criticalMs: critical });
  });
});

describe('seed 000: component latency table', () => {
  it.each([
    ['stt', 200, 400],
    ['llmTtft', 400, 800],
    ['llmTotal', 1000, 2000],
    ['ttsTtfb', 150, 300],
    ['turnDetection', 400, 600],
    ['network', 100, 200],
  ] as const)('%s: %d / %d', (k, target, critical) => {
    expect(COMPONENT_LATENCY_THRESHOLDS[k]).toEqual({
      targetMs: target,
      warningMs: target,
      criticalMs: critical,
    });
  });
});

describe('seed 000: critical voice agent metrics', () => {
  it.each([
    ['callSuccessRate', 0.95, 0.85, 'below'],
    ['wordErrorRate', 0.1, 0.2, 'above'],
    ['e2eLatencyP90Ms', 3500, 5000, 'above'],
    ['intentAccuracy', 0.9, 0.8, 'below'],
    ['taskCompletionRate', 0.85, 0.7, 'below'],
    ['interruptionFalsePositiveRate', 0.05, 0.1, 'above'],
    ['ttsErrorRate', 0.02, 0.05, 'above'],
    ['escalationRate', 0.25, 0.4, 'above'],
  ] as const)('%s: warning %d, critical %d, bad %s', (k, warning, critical, direction) => {
    expect(QUALITY_THRESHOLDS[k]).toMatchObject({ warning, critical, direction });
  });
});

describe('seed 000: severity', () => {
  it('levels: response times and requirements in minutes', () => {
    expect(SEVERITY_LEVELS['SEV-1'].responseTime.maxMinutes).toBe(15);
    expect(SEVERITY_LEVELS['SEV-1'].requirements).toEqual({
      acknowledgeWithinMinutes: 5,
      incidentCommanderWithinMinutes: 10,
      warRoomWithinMinutes: 15,
      stakeholderNotificationWithinMinutes: 30,
    });
    expect(SEVERITY_LEVELS['SEV-1'].updateEvery).toEqual({ minMinutes: 30, maxMinutes: 60 });
    expect(SEVERITY_LEVELS['SEV-2'].responseTime).toMatchObject({ minMinutes: 30, maxMinutes: 60 });
    expect(SEVERITY_LEVELS['SEV-2'].requirements).toEqual({
      acknowledgeWithinMinutes: 15,
      componentMetricsWithinMinutes: 30,
    });
    expect(SEVERITY_LEVELS['SEV-2'].updateEvery).toEqual({ minMinutes: 120, maxMinutes: 240 });
    expect(SEVERITY_LEVELS['SEV-3'].requirements.documentWithinMinutes).toBe(1440);
  });

  it('factor table keeps its own P90 bands (3.5 s / 7 s), distinct from the triggers (7 s / 15 s)', () => {
    expect(SEVERITY_FACTORS.turnLatencyP90Ms['SEV-2']).toMatchObject({ from: 3500, to: 7000 });
    expect(SEVERITY_FACTORS.turnLatencyP90Ms['SEV-1']).toMatchObject({ above: 7000 });
    expect(SEVERITY_FACTORS.taskCompletionRate['SEV-2']).toMatchObject({ from: 0.5, to: 0.8 });
    expect(SEVERITY_FACTORS.abandonmentIncrease['SEV-1']).toMatchObject({ above: 0.2 });
  });

  const numeric = (list: readonly { id: string; value?: number; comparator?: string }[]) =>
    Object.fromEntries(list.filter((t) => t.value !== undefined).map((t) => [t.id, [t.comparator, t.value]]));

  it('trigger lists as data', () => {
    expect(numeric(SEV1_TRIGGERS)).toEqual({
      'calls-not-connecting': ['<=', 0],
      'zero-asr-output': ['<=', 0],
      'p90-latency-15s': ['>', 15000],
      'task-completion-10pct': ['<', 0.1],
    });
    expect(SEV1_TRIGGERS.find((t) => t.id === 'pii-exposure')?.description).toMatch(/PII\/PHI/);
    expect(numeric(SEV2_TRIGGERS)).toEqual({
      'wer-25pct': ['>', 0.25],
      'p90-latency-7s': ['>', 7000],
      'task-completion-50pct': ['<', 0.5],
      'intent-misclassification-20pct': ['>', 0.2],
    });
    expect(SEV3_TRIGGERS).toHaveLength(4);
  });

  it('root causes sum to 100 %', () => {
    expect(ROOT_CAUSE_FREQUENCIES.map((r) => r.frequency)).toEqual([0.35, 0.2, 0.15, 0.12, 0.1, 0.08]);
    expect(ROOT_CAUSE_FREQUENCIES.reduce((a, r) => a + r.frequency, 0)).toBeCloseTo(1, 10);
  });

  it('single figures', () => {
    expect(CONVERSATIONAL_BREAK_MS).toBe(800);
    expect(BOTTLENECK_SHARE).toBe(0.6);
    expect(BASELINE_DEVIATION).toBe(0.5);
  });
});

describe('seed 003: alert rules and buckets', () => {
  it.each([
    ['AgentHighErrorRate', 0.05, 120, 'critical'],
    ['AgentHighLatency', 1.5, 180, 'warning'],
    ['STTFailureRate', 0.02, 120, 'critical'],
    ['NoActiveAgents', 0, 60, 'critical'],
  ] as const)('%s: > %d for %ds, %s', (name, threshold, forSeconds, severity) => {
    expect(ALERT_RULES[name]).toMatchObject({ name, threshold, forSeconds, severity });
  });

  it('buckets: the seed buckets plus every latency threshold, sorted', () => {
    expect(SEED_RESPONSE_BUCKETS_SECONDS).toEqual([0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0]);
    expect(RESPONSE_LATENCY_BUCKETS_SECONDS).toEqual([
      0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 3.5, 5, 7, 10, 15,
    ]);
  });
});

describe('resolveThresholds', () => {
  it('returns the defaults without overrides and deep-merges overrides', () => {
    expect(resolveThresholds()).toEqual(DEFAULT_THRESHOLDS);
    const t = resolveThresholds({ e2eLatency: { p90: { criticalMs: 6000 } }, bottleneckShare: 0.7 });
    expect(t.e2eLatency.p90).toEqual({ targetMs: 3500, warningMs: 3500, criticalMs: 6000 });
    expect(t.e2eLatency.p50).toEqual(E2E_LATENCY_THRESHOLDS.p50);
    expect(t.bottleneckShare).toBe(0.7);
  });

  it.each([
    [{ e2eLatency: { p90: { warningMs: 6000 } } }, 'e2eLatency.p90.warningMs', /must not exceed critical/],
    [{ componentLatency: { stt: { targetMs: -1 } } }, 'componentLatency.stt.targetMs', /0|negative|>=/i],
    [{ e2eLatency: { p50: { criticalMs: Number.NaN } } }, 'e2eLatency.p50.criticalMs', /./],
    [{ quality: { callSuccessRate: { warning: 95 } } }, 'quality.callSuccessRate.warning', /fraction/],
    [{ quality: { callSuccessRate: { warning: 0.8 } } }, 'quality.callSuccessRate.warning', /below critical/],
    [{ quality: { wordErrorRate: { critical: 0.05 } } }, 'quality.wordErrorRate.warning', /exceed critical/],
    [{ bottleneckShare: 1.5 } as const, 'bottleneckShare', /1/],
    [{ sevTriggers: { sev2P90Ms: 20000 } }, 'sevTriggers.sev2P90Ms', /SEV-1/],
    [{ e2eLatency: { p42: {} } } as never, 'e2eLatency.p42', /unknown threshold/],
  ])('rejects %j naming %s', (overrides, path, rule) => {
    let error: unknown;
    try {
      resolveThresholds(overrides);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ThresholdError);
    const issue = (error as ThresholdError).issues.find((i) => i.path === path);
    expect(issue, `issues: ${JSON.stringify((error as ThresholdError).issues)}`).toBeDefined();
    expect(issue!.message).toMatch(rule);
    expect((error as Error).message).toContain(path);
  });
});

// The default rules against the seeds and docs/severity.md, overrides, custom rules, ground truth,
// workers, the window sliding out, and the baseline.

import {
  BaselineError,
  createMonitor,
  createVoxtrace,
  DEFAULT_FOR_MS,
  type Diagnostic,
  defaultRules,
  RuleError,
  resolveThresholds,
} from '@voxtrace/core';
import {
  ALERT_RULES,
  COMPONENT_LATENCY_THRESHOLDS,
  E2E_LATENCY_THRESHOLDS,
  QUALITY_THRESHOLDS,
  SEV1_TRIGGERS,
  SEV2_TRIGGERS,
  SEV3_TRIGGERS,
} from '@voxtrace/core/thresholds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MINUTE, SECOND, Simulation, T0 } from './support/voice-traffic.js';

const rules = defaultRules(resolveThresholds());
const rule = (name: string) => {
  const r = rules.find((x) => x.name === name);
  if (!r) throw new Error(`no rule ${name}`);
  return r;
};

describe('default rules', () => {
  it('cover every numeric SEV trigger with its seed severity and value', () => {
    for (const [list, severity] of [
      [SEV1_TRIGGERS, 'SEV-1'],
      [SEV2_TRIGGERS, 'SEV-2'],
      [SEV3_TRIGGERS, 'SEV-3'],
    ] as const) {
      for (const t of list) {
        if (!('metric' in t)) {
          expect(rules.some((r) => r.name === t.id)).toBe(false);
          continue;
        }
        const r = rule(t.id);
        expect([r.severity, r.comparator, r.threshold, r.metric]).toEqual([
          severity,
          t.comparator,
          t.value,
          t.metric,
        ]);
      }
    }
    // "Intermittent spikes affecting less than 5 % of calls": some calls, not none.
    expect(rule('intermittent-latency-spikes').above).toBe(0);
  });

  it('cover every quality threshold: SEV-3, critical SEV-2 where no trigger owns the metric', () => {
    const sev2 = ['callSuccessRate', 'ttsErrorRate', 'escalationRate', 'interruptionFalsePositiveRate'];
    for (const [key, q] of Object.entries(QUALITY_THRESHOLDS)) {
      for (const band of ['warning', 'critical'] as const) {
        const r = rule(`quality.${key}.${band}`);
        expect(r.threshold).toBe(q[band]);
        expect(r.comparator).toBe(q.direction === 'above' ? '>' : '<');
        expect(r.severity).toBe(band === 'critical' && sev2.includes(key) ? 'SEV-2' : 'SEV-3');
      }
    }
  });

  it('cover every end-to-end percentile and component band as SEV-3, on P90 for components', () => {
    for (const [p, band] of Object.entries(E2E_LATENCY_THRESHOLDS)) {
      expect(rule(`e2e.${p}.warning`).threshold).toBe(band.warningMs);
      expect(rule(`e2e.${p}.critical`).threshold).toBe(band.criticalMs);
      expect(rule(`e2e.${p}.critical`).severity).toBe('SEV-3');
    }
    expect(rule('e2e.p99.warning').minSamples).toBe(500);
    expect(rule('e2e.p90.warning').minSamples).toBe(50);
    for (const [c, band] of Object.entries(COMPONENT_LATENCY_THRESHOLDS)) {
      expect(rule(`component.${c}.critical`).threshold).toBe(band.criticalMs);
      expect(rule(`component.${c}.critical`).metric).toMatch(/P90Ms$/);
    }
    expect(rule('component.llmTtft.warning').layer).toBe('llm');
  });

  it("keep seed 003's names, thresholds and `for`; critical → SEV-2, warning → SEV-3, NoActiveAgents SEV-1", () => {
    expect(rule('AgentHighErrorRate')).toMatchObject({ threshold: 0.05, forMs: 120_000, severity: 'SEV-2' });
    expect(rule('AgentHighLatency')).toMatchObject({
      metric: 'e2eLatencyP95Ms',
      threshold: ALERT_RULES.AgentHighLatency.threshold * 1000,
      forMs: 180_000,
      severity: 'SEV-3',
    });
    expect(rule('STTFailureRate')).toMatchObject({
      threshold: 0.02,
      forMs: 120_000,
      severity: 'SEV-2',
      layer: 'stt',
    });
    expect(rule('NoActiveAgents')).toMatchObject({
      comparator: '==',
      threshold: 0,
      forMs: 60_000,
      severity: 'SEV-1',
    });
    expect(rule('baseline.e2eLatencyP90')).toMatchObject({ threshold: 0.5, severity: 'SEV-3' });
    expect(rule('p90-latency-15s').forMs).toBe(DEFAULT_FOR_MS['SEV-1']);
    expect(rule('p90-latency-7s').forMs).toBe(DEFAULT_FOR_MS['SEV-2']);
  });

  it('follow threshold overrides of createVoxtrace and the forMs option', async () => {
    const vt = createVoxtrace({
      otlp: false,
      thresholds: {
        sevTriggers: { sev2P90Ms: 6000 },
        e2eLatency: { p90: { targetMs: 3000, warningMs: 3000, criticalMs: 4500 } },
      },
      monitor: { forMs: { 'SEV-2': 30_000 }, evaluationIntervalMs: 0 },
    });
    const r = (n: string) => vt.monitor.rules.find((x) => x.name === n)!;
    expect(r('p90-latency-7s')).toMatchObject({ threshold: 6000, forMs: 30_000 });
    expect(r('e2e.p90.warning').threshold).toBe(3000);
    expect(r('AgentHighErrorRate').forMs).toBe(120_000);
    await vt.shutdown();
  });

  it('can be replaced, filtered or extended; malformed rules are refused at creation', async () => {
    const vt = createVoxtrace({
      otlp: false,
      monitor: { rules: (d) => d.filter((x) => x.severity === 'SEV-1'), evaluationIntervalMs: 0 },
    });
    expect(vt.monitor.rules.every((x) => x.severity === 'SEV-1')).toBe(true);
    expect(vt.monitor.rules.length).toBe(5);
    await vt.shutdown();
    expect(() =>
      createVoxtrace({ otlp: false, monitor: { rules: [{ ...rules[0]!, metric: 'nope' as never }] } }),
    ).toThrow(RuleError);
    expect(() => createVoxtrace({ otlp: false, monitor: { rules: [rules[0]!, rules[0]!] } })).toThrow(
      /duplicate/,
    );
  });
});

describe('rule states', () => {
  let sim: Simulation;
  afterEach(async () => {
    await sim?.vt.shutdown();
  });

  it('NoActiveAgents: pending when the worker reports 0, SEV-1 firing after 1 minute, resolved when back', () => {
    sim = new Simulation();
    sim.run(T0 + MINUTE);
    sim.vt.monitor.setWorkersActive(0);
    sim.run(T0 + 2 * MINUTE + 30 * SECOND);
    sim.vt.monitor.setWorkersActive(1);
    sim.run(T0 + 3 * MINUTE);
    const states = sim.states('NoActiveAgents');
    expect(states.map((s) => s.state)).toEqual(['inactive', 'pending', 'firing', 'resolved']);
    expect(states[2]!.at - states[1]!.at).toBe(MINUTE);
    expect(sim.incidents[0]).toMatchObject({ severity: 'SEV-1', layer: 'telephony', status: 'identified' });
  });

  it('resolve when the data leaves the window (no data is not a breach)', () => {
    sim = new Simulation({
      monitor: {
        rules: (d) => d.filter((r) => r.name === 'e2e.p90.warning').map((r) => ({ ...r, forMs: 0 })),
      },
    });
    sim.calls({ from: T0, durationMs: 2 * MINUTE, callsPerMinute: 30, turn: () => ({ ttftMs: 5000 }) });
    sim.run(T0 + 10 * MINUTE);
    const states = sim.states('e2e.p90.warning');
    expect(states.map((s) => s.state)).toEqual(['inactive', 'firing', 'resolved']);
    // Resolved once the last slow turn is older than the 5-minute window.
    expect(states[2]!.at).toBeGreaterThan(T0 + 5 * MINUTE);
    expect(sim.vt.monitor.snapshot().counts.turns).toBe(0);
  });
});

describe('evaluation and switching off', () => {
  it('evaluates on its own timer, with the real clock', async () => {
    const vt = createVoxtrace({ otlp: false, monitor: { evaluationIntervalMs: 20 } });
    expect(vt.monitor.snapshot().evaluatedAt).toBeNull();
    await vi.waitFor(() => expect(vt.monitor.snapshot().evaluatedAt).not.toBeNull(), { timeout: 5000 });
    await vt.shutdown();
  });

  it('monitor: false observes nothing while the metrics still count', async () => {
    const vt = createVoxtrace({ otlp: false, monitor: false });
    const conv = vt.startConversation({ id: 'off' });
    conv.record({ type: 'user.speech.started', at: T0 });
    conv.record({ type: 'user.speech.ended', at: T0 + 1000 });
    conv.record({ type: 'agent.speech.started', at: T0 + 1800 });
    conv.end({ outcome: 'completed' });
    expect(vt.monitor.enabled).toBe(false);
    const s = vt.monitor.evaluate();
    expect(s).toMatchObject({ enabled: false, evaluatedAt: null, counts: { turns: 0, conversations: 0 } });
    expect(vt.monitor.recordQuality({ wordErrorRate: 0.1 })).toBe(false);
    expect(await vt.registry!.metrics()).toContain('agent_requests_total{status="success"} 1');
    await vt.shutdown();
  });
});

describe('ground truth', () => {
  it('feeds WER, intent accuracy and false barge-ins; a malformed observation is refused with a diagnostic', async () => {
    const diagnostics: Diagnostic[] = [];
    const m = createMonitor({
      now: () => T0,
      evaluationIntervalMs: 0,
      onDiagnostic: (d) => diagnostics.push(d),
    });
    for (let i = 0; i < 30; i++) {
      expect(m.recordQuality({ wordErrorRate: i < 15 ? 0.2 : 0.4, words: i < 15 ? 10 : 30 })).toBe(true);
      expect(
        m.recordQuality({
          intents: { checked: 10, correct: 7 },
          interruptions: { checked: 4, falsePositives: 1 },
        }),
      ).toBe(true);
    }
    const s = m.evaluate();
    // Word-weighted: (15·0.2·10 + 15·0.4·30) / (15·10 + 15·30) = 0.35.
    expect(s.rates.wordErrorRate).toBeCloseTo(0.35, 10);
    expect(s.rates.intentAccuracy).toBeCloseTo(0.7, 10);
    expect(s.rates.intentMisclassificationRate).toBeCloseTo(0.3, 10);
    expect(s.rates.interruptionFalsePositiveRate).toBeCloseTo(0.25, 10);
    const wer = s.rules.find((r) => r.name === 'wer-25pct')!;
    expect(wer).toMatchObject({ state: 'pending', samples: 30 });

    expect(m.recordQuality({ intents: { checked: 1, correct: 2 } })).toBe(false);
    expect(m.recordQuality({} as never)).toBe(false);
    expect(diagnostics.map((d) => d.code)).toEqual(['invalid_event', 'invalid_event']);
    expect(diagnostics[0]!.message).toContain('correct must not exceed checked');
    await m.shutdown!();
  });
});

describe('baseline', () => {
  let sim: Simulation;
  afterEach(async () => {
    await sim?.vt.shutdown();
  });
  const WEEK = 7 * 24 * 60 * MINUTE;

  it('compares with the same hour last week, fires at +50 %, and survives export/import as JSON', async () => {
    sim = new Simulation({ monitor: { rules: (d) => d.filter((r) => r.name === 'baseline.e2eLatencyP90') } });
    // Week 1: a healthy 20 minutes.
    sim.calls({ from: T0, durationMs: 20 * MINUTE, callsPerMinute: 12 });
    sim.run(T0 + 25 * MINUTE);
    expect(sim.vt.monitor.snapshot().baseline.samples).toBe(0); // no earlier week yet
    const exported = JSON.parse(JSON.stringify(sim.vt.monitor.exportBaseline()));
    expect(exported).toMatchObject({ format: 'voxtrace.baseline', version: 1, series: 'e2eLatencyMs' });
    expect(exported.hours.map((h: { hourOfWeek: number }) => h.hourOfWeek)).toEqual([10]);

    // A restarted process a week later: same hour, the LLM three times slower.
    const next = new Simulation(
      { monitor: { baseline: exported, rules: (d) => d.filter((r) => r.name === 'baseline.e2eLatencyP90') } },
      { start: T0 + WEEK },
    );
    const before = next.vt.monitor.snapshot().baseline;
    expect(before.samples).toBe(exported.hours[0].count);
    expect(before.p90Ms).toBeGreaterThan(700);
    expect(before.p90Ms).toBeLessThan(1500);
    next.calls({
      from: T0 + WEEK,
      durationMs: 15 * MINUTE,
      callsPerMinute: 12,
      turn: () => ({ ttftMs: 750 }),
    });
    next.run(T0 + WEEK + 15 * MINUTE);
    const states = next.states('baseline.e2eLatencyP90');
    expect(states.map((s) => s.state)).toEqual(['inactive', 'pending', 'firing']);
    const last = next.evaluations.at(-1)!;
    expect(last.rules['baseline.e2eLatencyP90']!.value).toBeGreaterThan(0.5);
    expect(next.incidents[0]!.figures).toMatchObject({
      baselineSource: 'baseline',
      baselineP90Ms: before.p90Ms,
    });
    await next.vt.shutdown();
  });

  it('rejects data that is not an exported baseline, naming the problem', async () => {
    const m = createMonitor({ evaluationIntervalMs: 0 });
    expect(() => m.importBaseline({ format: 'voxtrace.baseline', version: 2 })).toThrow(BaselineError);
    expect(() =>
      m.importBaseline({
        format: 'voxtrace.baseline',
        version: 1,
        series: 'e2eLatencyMs',
        relativeAccuracy: 0.01,
        hours: [{ hourOfWeek: 3, week: 2900, count: 5, zeroCount: 0, minKey: 100, counts: [1, 1] }],
      }),
    ).toThrow(/hours\.0\.count: count 5 is not zeroCount \+ sum\(counts\) = 2/);
    await m.shutdown!();
  });
});

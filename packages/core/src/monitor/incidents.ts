/**
 * Incidents: one per problem, not one page per rule (seed 000: "Group related alerts (e.g., high
 * latency + low task completion) into a single incident rather than separate notifications").
 *
 * Grouping is by time: the first firing rule opens an incident and every rule that fires while it
 * is open joins it, since in a voice pipeline what breaks together is usually one cascade. The
 * incident's severity is the worst of its firing rules and its layer that of the most severe,
 * earliest firing rule that names one. When no rule fires it is `mitigating`; once no rule has been
 * pending or firing for the cool-down it is `resolved`, and the next firing rule opens a new one.
 * Listeners hear of the opening, of each change of severity, layer or status, and of the resolution.
 */
import type { Comparator, Layer, Severity } from '../thresholds.js';
import { MEASURES, type MonitorMetric } from './measures.js';
import { type RuleTracker, SEVERITY_RANK, worse } from './rules.js';
import { newSketch, quantileOf, type Sketch, type WindowView } from './window.js';

/**
 * Where an incident stands, in the words of seed 000's internal template: `investigating` (firing,
 * layer unknown), `identified` (firing, layer known), `mitigating` (no rule firing any more; the
 * cool-down runs), `resolved`.
 */
export type IncidentStatus = 'investigating' | 'identified' | 'mitigating' | 'resolved';

/** A rule behind a severity: what it measured against what threshold. */
export interface Trigger {
  /** Rule name. */
  rule: string;
  metric: MonitorMetric;
  /** Human name of the metric, e.g. `turn latency P90`. */
  label: string;
  unit: 'ms' | 'ratio' | 'count';
  severity: Severity;
  /** Layer the rule implicates at its last evaluation, when known. */
  layer: Layer | null;
  /** Observed value at the last evaluation (`null` without data). */
  value: number | null;
  /** Value furthest past the threshold while it fired (in an incident: during that incident). */
  worstValue: number | null;
  comparator: Comparator;
  threshold: number;
  /** When it started firing (epoch ms), `null` while it has not fired. */
  firingSince: number | null;
  /** Whether it fires now. */
  firing: boolean;
}

/** What happened to an incident, in order. */
export interface TimelineEntry {
  at: number;
  event:
    | 'detected'
    | 'opened'
    | 'rule_firing'
    | 'rule_resolved'
    | 'severity_changed'
    | 'layer_changed'
    | 'mitigating'
    | 'relapsed'
    | 'resolved';
  message: string;
  rule?: string;
  severity?: Severity;
  layer?: Layer | null;
}

/**
 * Figures the communication templates quote. They count from the monitor's window at the moment the
 * incident opened (the turns and calls that made it open), then everything while it is open.
 */
export interface IncidentFigures {
  /** Turn latency P90 of the turns of the opening window and of those finished while open, ms. */
  p90Ms: number | null;
  /** Highest window P90 seen at an evaluation while open, ms. */
  peakWindowP90Ms: number | null;
  /** P90 to compare with: the same hour of an earlier week, else the P90 target. */
  baselineP90Ms: number;
  baselineSource: 'baseline' | 'target';
  /** Turns of the opening window and turns finished while open. */
  turns: number;
  /** Distinct calls with a turn in the opening window or while open. */
  callsAffected: number;
  /** Calls that ended with outcome `error` or `abandoned` in the opening window or while open. */
  failedCalls: number;
  /** Open → resolved, or open → now while unresolved, ms. */
  durationMs: number;
}

/** What `onIncident` and `vt.on('incident')` receive: a copy, safe to keep. */
export interface Incident {
  id: string;
  /** Worst severity of the rules firing now (kept while mitigating). */
  severity: Severity;
  /** Worst severity the incident reached. */
  peakSeverity: Severity;
  status: IncidentStatus;
  openedAt: number;
  updatedAt: number;
  resolvedAt: number | null;
  /** Every rule that fired during the incident, with its latest reading. */
  triggers: Trigger[];
  layer: Layer | null;
  /** At most {@link MAX_TIMELINE} entries: the first two, then the most recent. */
  timeline: TimelineEntry[];
  figures: IncidentFigures;
  /** Notifications sent for this incident so far, this one included (the template's update #). */
  update: number;
}

/** Longest timeline kept per incident. */
export const MAX_TIMELINE = 100;

/** A trigger from a rule's live state; `worst` is its worst value while firing, if tracked. */
export function triggerOf(
  t: RuleTracker,
  worst: number | null = t.state === 'firing' ? t.value : null,
): Trigger {
  const m = MEASURES[t.rule.metric];
  return {
    rule: t.rule.name,
    metric: t.rule.metric,
    label: m.label,
    unit: m.unit,
    severity: t.rule.severity,
    layer: t.layer,
    value: t.value,
    worstValue: worst,
    comparator: t.rule.comparator,
    threshold: t.rule.threshold,
    firingSince: t.state === 'firing' ? t.firedAt : null,
    firing: t.state === 'firing',
  };
}

/** Severity and layer of a set of firing rules: the worst severity, and the layer of its earliest rule. */
export function leadOf(firing: readonly RuleTracker[]): { severity: Severity | null; layer: Layer | null } {
  let severity: Severity | null = null;
  for (const t of firing) severity = worse(severity, t.rule.severity);
  const ordered = [...firing].sort(
    (a, b) =>
      SEVERITY_RANK[a.rule.severity] - SEVERITY_RANK[b.rule.severity] || (a.firedAt ?? 0) - (b.firedAt ?? 0),
  );
  const layer = ordered.find((t) => t.layer !== null)?.layer ?? null;
  return { severity, layer };
}

/** Accumulators of the open incident, fed from the monitor's hot path. */
export class OpenIncident {
  readonly sketch: Sketch = newSketch();
  turns = 0;
  callsAffected = 0;
  failedCalls = 0;
  peakWindowP90Ms: number | null = null;
  severity: Severity;
  peakSeverity: Severity;
  layer: Layer | null;
  status: IncidentStatus;
  updatedAt: number;
  resolvedAt: number | null = null;
  /** When no rule was pending or firing any more. */
  clearSince: number | null = null;
  update = 0;
  readonly members = new Map<string, RuleTracker>();
  /** Worst value of each member while it fired. */
  readonly worst = new Map<string, number>();
  readonly timeline: TimelineEntry[] = [];

  constructor(
    /** Sequence number: calls remember the last incident they were counted in. */
    readonly seq: number,
    readonly id: string,
    readonly openedAt: number,
    readonly baseline: { p90Ms: number; source: 'baseline' | 'target' },
    severity: Severity,
    layer: Layer | null,
  ) {
    this.severity = severity;
    this.peakSeverity = severity;
    this.layer = layer;
    this.status = layer ? 'identified' : 'investigating';
    this.updatedAt = openedAt;
  }

  /**
   * Starts the figures from the window that opened the incident: its turns and their latency, its
   * failed or abandoned calls, and `calls`, the distinct calls with a turn in it.
   */
  seed(view: WindowView, calls: number): void {
    const e2e = view.sketch('e2e');
    if (e2e) this.sketch.merge(e2e);
    this.turns = view.count('turns');
    this.failedCalls = view.count('failedCalls') + view.count('abandoned');
    this.callsAffected = calls;
  }

  /** Counts one finished turn of a call (`e2e` may be unknown); returns nothing, allocates nothing. */
  observeTurn(e2eLatencyMs: number | null): void {
    this.turns++;
    if (e2eLatencyMs !== null && e2eLatencyMs >= 0) this.sketch.accept(e2eLatencyMs);
  }

  /** Keeps the highest window P90 and each firing member's worst value. */
  peak(windowP90Ms: number | null): void {
    if (windowP90Ms !== null) this.peakWindowP90Ms = Math.max(this.peakWindowP90Ms ?? 0, windowP90Ms);
    for (const t of this.members.values()) {
      if (t.state !== 'firing' || t.value === null) continue;
      const before = this.worst.get(t.rule.name);
      const low = t.rule.comparator === '<' || t.rule.comparator === '<=';
      if (before === undefined || (low ? t.value < before : t.value > before))
        this.worst.set(t.rule.name, t.value);
    }
  }

  log(entry: TimelineEntry): void {
    this.timeline.push(entry);
    // Keep the head (detected, opened) and the most recent entries.
    if (this.timeline.length > MAX_TIMELINE) this.timeline.splice(2, 1);
  }

  /** The payload listeners receive. */
  toIncident(now: number): Incident {
    return {
      id: this.id,
      severity: this.severity,
      peakSeverity: this.peakSeverity,
      status: this.status,
      openedAt: this.openedAt,
      updatedAt: this.updatedAt,
      resolvedAt: this.resolvedAt,
      triggers: [...this.members.values()].map((t) => triggerOf(t, this.worst.get(t.rule.name) ?? null)),
      layer: this.layer,
      timeline: this.timeline.map((e) => ({ ...e })),
      figures: {
        p90Ms: quantileOf(this.sketch, 0.9),
        peakWindowP90Ms: this.peakWindowP90Ms,
        baselineP90Ms: this.baseline.p90Ms,
        baselineSource: this.baseline.source,
        turns: this.turns,
        callsAffected: this.callsAffected,
        failedCalls: this.failedCalls,
        durationMs: (this.resolvedAt ?? now) - this.openedAt,
      },
      update: this.update,
    };
  }
}

/** Options of {@link IncidentTracker}. */
export interface IncidentTrackerOptions {
  /** How long no rule may be pending or firing before an incident resolves, ms. */
  coolDownMs: number;
  /** Resolved incidents kept for {@link IncidentTracker.history}. */
  historySize: number;
  /** P90 to compare with for an incident opened at `t`. */
  baselineAt(t: number): { p90Ms: number; source: 'baseline' | 'target' };
  emit(incident: Incident): void;
}

/** Opens, updates and resolves incidents from rule states at each evaluation. */
export class IncidentTracker {
  /** The open incident, read on the hot path. */
  current: OpenIncident | null = null;
  private seq = 0;
  private readonly resolved: Incident[] = [];

  constructor(private readonly opts: IncidentTrackerOptions) {}

  /** Open and recently resolved incidents, newest first. */
  history(now: number): Incident[] {
    const open = this.current ? [this.current.toIncident(now)] : [];
    return [...open, ...this.resolved.map(copyIncident)];
  }

  /**
   * Applies one evaluation: `trackers` are every rule, `previous` their states before it.
   * `windowP90Ms` feeds the incident's peak figure; `seed` starts the figures of one that opens.
   */
  evaluate(
    now: number,
    trackers: readonly RuleTracker[],
    previous: ReadonlyMap<RuleTracker, string>,
    windowP90Ms: number | null,
    seed: (inc: OpenIncident) => void,
  ): void {
    const firing = trackers.filter((t) => t.state === 'firing');
    const anyActive = trackers.some((t) => t.state === 'firing' || t.state === 'pending');
    const inc = this.current;
    if (inc) this.update(inc, now, trackers, previous, firing, anyActive, windowP90Ms);
    else if (firing.length > 0) this.open(now, firing, windowP90Ms, seed);
  }

  private open(
    now: number,
    firing: RuleTracker[],
    windowP90Ms: number | null,
    seed: (inc: OpenIncident) => void,
  ): void {
    const { severity, layer } = leadOf(firing);
    this.seq++;
    const inc = new OpenIncident(this.seq, incidentId(now), now, this.opts.baselineAt(now), severity!, layer);
    seed(inc);
    const detectedAt = Math.min(...firing.map((t) => t.activeAt ?? now));
    inc.log({ at: detectedAt, event: 'detected', message: `First anomalous metric: ${describe(firing)}` });
    for (const t of firing) inc.members.set(t.rule.name, t);
    inc.peak(windowP90Ms);
    inc.log({
      at: now,
      event: 'opened',
      severity: inc.severity,
      layer,
      message: `${inc.severity} opened${layer ? ` (layer ${layer})` : ''}: ${describe(firing)}`,
    });
    this.current = inc;
    this.notify(inc, now);
  }

  private update(
    inc: OpenIncident,
    now: number,
    trackers: readonly RuleTracker[],
    previous: ReadonlyMap<RuleTracker, string>,
    firing: RuleTracker[],
    anyActive: boolean,
    windowP90Ms: number | null,
  ): void {
    let changed = false;
    for (const t of trackers) {
      const before = previous.get(t);
      if (t.state === 'firing' && before !== 'firing') {
        inc.members.set(t.rule.name, t);
        inc.log({
          at: now,
          event: 'rule_firing',
          rule: t.rule.name,
          severity: t.rule.severity,
          layer: t.layer,
          message: `${describe([t])} fires`,
        });
      } else if (before === 'firing' && t.state !== 'firing' && inc.members.has(t.rule.name)) {
        inc.log({ at: now, event: 'rule_resolved', rule: t.rule.name, message: `${t.rule.name} cleared` });
      }
    }
    inc.peak(windowP90Ms);
    if (firing.length > 0) {
      const { severity, layer } = leadOf(firing);
      inc.clearSince = null;
      if (inc.status === 'mitigating') {
        inc.log({ at: now, event: 'relapsed', message: `Relapsed: ${describe(firing)}` });
        changed = true;
      }
      if (severity !== inc.severity) {
        inc.log({
          at: now,
          event: 'severity_changed',
          severity: severity!,
          message: `Severity ${inc.severity} → ${severity}`,
        });
        inc.severity = severity!;
        inc.peakSeverity = worse(inc.peakSeverity, severity)!;
        changed = true;
      }
      if (layer !== inc.layer && layer !== null) {
        inc.log({
          at: now,
          event: 'layer_changed',
          layer,
          message: `Layer ${inc.layer ?? 'unknown'} → ${layer}`,
        });
        inc.layer = layer;
        changed = true;
      }
      const status: IncidentStatus = inc.layer ? 'identified' : 'investigating';
      if (status !== inc.status) changed = true;
      inc.status = status;
    } else {
      if (inc.status !== 'mitigating') {
        inc.status = 'mitigating';
        inc.log({ at: now, event: 'mitigating', message: 'No rule firing; metrics returning to normal' });
        changed = true;
      }
      if (anyActive) inc.clearSince = null;
      else if (inc.clearSince === null) inc.clearSince = now;
      if (inc.clearSince !== null && now - inc.clearSince >= this.opts.coolDownMs) {
        inc.status = 'resolved';
        inc.resolvedAt = now;
        inc.log({
          at: now,
          event: 'resolved',
          message: `Resolved after ${Math.round((now - inc.clearSince) / 1000)} s clear`,
        });
        this.current = null;
        this.notify(inc, now);
        this.resolved.unshift(inc.toIncident(now));
        if (this.resolved.length > this.opts.historySize) this.resolved.pop();
        return;
      }
    }
    if (changed) this.notify(inc, now);
  }

  private notify(inc: OpenIncident, now: number): void {
    inc.updatedAt = now;
    inc.update++;
    this.opts.emit(inc.toIncident(now));
  }
}

function describe(trackers: readonly RuleTracker[]): string {
  return trackers
    .map(
      (t) =>
        `${t.rule.name} (${MEASURES[t.rule.metric].label} ${format(t.value, t.rule.metric)} ${t.rule.comparator} ${format(t.rule.threshold, t.rule.metric)})`,
    )
    .join(', ');
}

/** A metric value in its unit: `8.2 s`, `340 ms`, `12.5 %`, `0`. */
export function format(value: number | null, metric: MonitorMetric): string {
  if (value === null) return 'n/a';
  const unit = MEASURES[metric].unit;
  if (unit === 'ms') return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value)} ms`;
  if (unit === 'ratio') return `${+(value * 100).toFixed(1)} %`;
  return String(value);
}

/** `inc-20260221T140300Z-1a2b3c4d`: when it opened, plus a random part unique across processes. */
function incidentId(now: number): string {
  const iso = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `inc-${iso}-${globalThis.crypto.randomUUID().slice(0, 8)}`;
}

function copyIncident(i: Incident): Incident {
  return {
    ...i,
    triggers: i.triggers.map((t) => ({ ...t })),
    timeline: i.timeline.map((e) => ({ ...e })),
    figures: { ...i.figures },
  };
}

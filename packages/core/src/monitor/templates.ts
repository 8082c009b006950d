/**
 * Seed 000's "Incident Communication Templates" (internal update, external stakeholder, resolution)
 * filled with an incident's figures: P90 during the incident against the baseline, calls affected,
 * duration, the rules that fired and the layer. What only people know (root cause, fix, owner, ETA)
 * comes from the options; left out, it stays as the seed's `{placeholder}` so nobody sends a guess.
 * The external message names no layer or cause ("Do not speculate on root cause in external
 * communications").
 */
import {
  type Layer,
  SEED_FACTS,
  SEV1_CHECKLIST,
  SEV2_CHECKLIST,
  SEV3_CHECKLIST,
  SEVERITY_LEVELS,
} from '../thresholds.js';
import { format, type Incident, type Trigger } from './incidents.js';
import type { MonitorMetric } from './measures.js';

/** Display names of layers. */
const LAYER_NAMES: Record<Layer, string> = {
  telephony: 'Telephony',
  stt: 'ASR (STT)',
  llm: 'LLM',
  tool: 'Tools',
  tts: 'TTS',
  dialog: 'Dialog',
  turn_detection: 'Turn detection',
  network: 'Network/transport',
};

type Kind = 'latency' | 'failures' | 'understanding' | 'outcome' | 'capacity';

const KIND: Record<MonitorMetric, Kind> = {
  e2eLatencyP50Ms: 'latency',
  e2eLatencyP90Ms: 'latency',
  e2eLatencyP95Ms: 'latency',
  e2eLatencyP99Ms: 'latency',
  sttLatencyP90Ms: 'latency',
  turnDetectionDelayP90Ms: 'latency',
  llmTtftP90Ms: 'latency',
  llmTotalP90Ms: 'latency',
  toolDurationP90Ms: 'latency',
  ttsTtfbP90Ms: 'latency',
  networkLatencyP90Ms: 'latency',
  e2eLatencyP90BaselineDeviation: 'latency',
  latencySpikeCallShare: 'latency',
  callSuccessRate: 'failures',
  callConnectRate: 'capacity',
  workersActive: 'capacity',
  turnErrorRate: 'failures',
  sttFailureRate: 'failures',
  sttTranscriptRate: 'failures',
  llmErrorRate: 'failures',
  toolErrorRate: 'failures',
  ttsErrorRate: 'failures',
  wordErrorRate: 'understanding',
  intentAccuracy: 'understanding',
  intentMisclassificationRate: 'understanding',
  interruptionFalsePositiveRate: 'understanding',
  interruptionRate: 'understanding',
  taskCompletionRate: 'outcome',
  escalationRate: 'outcome',
  abandonmentRate: 'outcome',
};

/** What callers use, per kind of problem, for "{description of impacted functionality}". */
const FUNCTIONALITY: Record<Kind, string> = {
  latency: 'voice agent response times',
  failures: 'calls handled by the voice agent',
  understanding: 'how well the voice agent understands callers',
  outcome: 'requests handled by the voice agent',
  capacity: 'answering of calls by the voice agent',
};

/** Options shared by the renderers. */
export interface TemplateOptions {
  /** Time of the message, epoch ms. Default: when the payload was made (`resolvedAt` once resolved). */
  now?: number;
  /** Replaces the generated brief description. */
  description?: string;
}

/** Options of {@link renderInternalUpdate}. */
export interface InternalUpdateOptions extends TemplateOptions {
  /** Update number. Default: the incident's `update`. */
  update?: number;
  /** More findings, after the ones from the rules. */
  findings?: string[];
  /** Next steps. Default: the seed's response checklist steps for the incident's severity and age. */
  nextSteps?: string[];
  /** Who is doing them. */
  owner?: string;
  /** ETA to mitigation. Default `Investigating`, as in the seed. */
  eta?: string;
  /** Next update time, epoch ms. Default: now + the seed's update interval for the severity. */
  nextUpdateAt?: number;
}

/** Options of {@link renderStakeholderUpdate}. */
export interface StakeholderUpdateOptions extends TemplateOptions {
  /** Time of the promised update, epoch ms. Default: now + the seed's update interval. */
  nextUpdateAt?: number;
}

/** Options of {@link renderResolution}. */
export interface ResolutionOptions extends TemplateOptions {
  rootCause?: string;
  fixApplied?: string;
  prevention?: string;
}

/**
 * Seed 000's internal template (war room, incident channel):
 * `[SEV-n] description — Update #n`, status, affected layer and user impact with the figures,
 * duration, findings from the rules, next steps, ETA and next update.
 */
export function renderInternalUpdate(incident: Incident, options: InternalUpdateOptions = {}): string {
  const now = timeOf(incident, options);
  const f = incident.figures;
  const lead = leadTrigger(incident);
  const findings = [
    ...incident.triggers.map((t) => {
      const where = `${t.severity}${t.layer ? `, ${LAYER_NAMES[t.layer]}` : ''}`;
      const limit = `${t.comparator} ${format(t.threshold, t.metric)}`;
      return t.firing
        ? `${t.rule}: ${t.label} ${format(t.value, t.metric)} ${limit}, worst ${format(t.worstValue, t.metric)} (${where})`
        : `${t.rule}: ${t.label} peaked at ${format(t.worstValue, t.metric)} (${limit}); cleared (${where})`;
    }),
    `Turn latency P90 ${ms(f.p90Ms)} over ${f.turns} turns (the window that opened the incident, and since; window peak ${ms(f.peakWindowP90Ms)}) vs ${f.baselineSource} ${ms(f.baselineP90Ms)}; ${f.callsAffected} calls affected, ${f.failedCalls} failed or abandoned`,
    ...(options.findings ?? []),
  ];
  const steps = options.nextSteps ?? checklistSteps(incident, now);
  return [
    `[${incident.severity}] ${options.description ?? briefDescription(incident)} — Update #${options.update ?? incident.update}`,
    `Status: ${incident.status.toUpperCase()}`,
    `Affected: ${incident.layer ? LAYER_NAMES[incident.layer] : 'Layer not identified'} → ${impactInternal(lead, incident)}`,
    `Duration: ${duration(now - detectedAt(incident))} since detection`,
    'Current findings:',
    ...findings.map((x) => `- ${x}`),
    'Next steps:',
    ...steps.map((x) => `- ${x}`),
    `- ${options.owner ?? '{Who is doing it}'}`,
    `ETA to mitigation: ${options.eta ?? 'Investigating'}`,
    `Next update: ${incident.status === 'resolved' ? 'none (resolved)' : clock(options.nextUpdateAt ?? nextUpdate(incident, now), now)}`,
  ].join('\n');
}

/** Seed 000's external stakeholder template, in non-technical terms, with no layer or cause. */
export function renderStakeholderUpdate(incident: Incident, options: StakeholderUpdateOptions = {}): string {
  const now = timeOf(incident, options);
  const lead = leadTrigger(incident);
  const kind = KIND[lead.metric];
  const status = {
    investigating: 'Investigating',
    identified: 'Identified',
    mitigating: 'Monitoring',
    resolved: 'Resolved',
  }[incident.status];
  const statusLine = {
    investigating: 'Our engineering team is actively investigating.',
    identified:
      'Our engineering team has identified the affected part of the service and is working on a fix.',
    mitigating: 'The service is recovering and our engineering team is monitoring it closely.',
    resolved: 'The issue is resolved.',
  }[incident.status];
  return [
    `Subject: [Voice Agent Service] ${status} — ${options.description ?? externalDescription(kind)}`,
    '',
    `We are aware of an issue affecting ${FUNCTIONALITY[kind]}.`,
    '',
    `Impact: ${impactExternal(kind, incident)}`,
    '',
    `Status: ${statusLine}`,
    '',
    `We will provide an update by ${clock(options.nextUpdateAt ?? nextUpdate(incident, now), now)}.`,
    '',
    'We apologize for any inconvenience.',
  ].join('\n');
}

/** Seed 000's resolution template; figures filled, root cause, fix and prevention from the options. */
export function renderResolution(incident: Incident, options: ResolutionOptions = {}): string {
  const now = timeOf(incident, options);
  const f = incident.figures;
  const kind = KIND[leadTrigger(incident).metric];
  const at = incident.resolvedAt ?? now;
  const { min, max } = SEED_FACTS.postmortemWithinHours;
  const attribution = incident.layer
    ? ` (the monitor attributed it to the ${LAYER_NAMES[incident.layer]} layer)`
    : '';
  return [
    `Subject: [RESOLVED] ${options.description ?? briefDescription(incident)}`,
    '',
    `The issue affecting ${FUNCTIONALITY[kind]} has been resolved as of ${timestamp(at)}.`,
    '',
    `Root cause: ${options.rootCause ?? `{One-sentence technical explanation}${attribution}`}`,
    `Fix applied: ${options.fixApplied ?? '{What was changed}'}`,
    `Duration: ${duration(at - incident.openedAt)}`,
    `Impact: ${f.callsAffected} calls affected (${f.failedCalls} failed or abandoned); turn latency P90 ${ms(f.p90Ms)} during the incident vs ${f.baselineSource} ${ms(f.baselineP90Ms)}`,
    `Prevention: ${options.prevention ?? '{What we are doing to prevent recurrence}'}`,
    '',
    `A full postmortem will be published within ${min}-${max} hours.`,
  ].join('\n');
}

/** Component figures diagnose; they lead a message only when nothing callers feel has fired. */
const DIAGNOSTIC: ReadonlySet<MonitorMetric> = new Set([
  'sttLatencyP90Ms',
  'turnDetectionDelayP90Ms',
  'llmTtftP90Ms',
  'llmTotalP90Ms',
  'toolDurationP90Ms',
  'ttsTtfbP90Ms',
  'networkLatencyP90Ms',
]);

/**
 * The trigger that names the incident in words: the most severe; then turn latency P90 (the seed's
 * headline figure), then other figures callers feel (rates, other percentiles), then component
 * figures; on the same figure the higher band (P90 > 5 s over > 3.5 s); then the one furthest past
 * its threshold; then the earliest.
 */
function leadTrigger(incident: Incident): Trigger {
  const rank = (t: Trigger) =>
    Number(t.severity.slice(-1)) * 10 +
    (t.metric === 'e2eLatencyP90Ms' ? 0 : DIAGNOSTIC.has(t.metric) ? 2 : 1);
  const worseBand = (a: Trigger, b: Trigger) =>
    a.metric === b.metric &&
    a.severity === b.severity &&
    (a.comparator.startsWith('<') ? a.threshold < b.threshold : a.threshold > b.threshold);
  const top = incident.triggers.filter((t) => !incident.triggers.some((o) => worseBand(o, t)));
  return top.sort(
    (a, b) => rank(a) - rank(b) || past(b) - past(a) || (a.firingSince ?? 0) - (b.firingSince ?? 0),
  )[0]!;
}

/** How far the worst value went past the threshold, relative to it. */
function past(t: Trigger): number {
  const v = t.worstValue ?? t.value;
  if (v === null || t.threshold === 0) return 0;
  return t.comparator.startsWith('<') ? (t.threshold - v) / t.threshold : (v - t.threshold) / t.threshold;
}

/** `Turn latency P90 6.6 s (threshold > 5.0 s), LLM`; once cleared, `… up to 6.6 s …`. */
function briefDescription(incident: Incident): string {
  const t = leadTrigger(incident);
  const label = t.label.charAt(0).toUpperCase() + t.label.slice(1);
  const layer = incident.layer ? `, ${LAYER_NAMES[incident.layer]}` : '';
  const word = t.firing ? '' : t.comparator.startsWith('<') ? ' down to' : ' up to';
  const v = t.firing ? t.value : t.worstValue;
  return `${label}${word} ${format(v, t.metric)} (threshold ${t.comparator} ${format(t.threshold, t.metric)})${layer}`;
}

function externalDescription(kind: Kind): string {
  return {
    latency: 'Slow responses from the voice agent',
    failures: 'Errors on calls with the voice agent',
    understanding: 'The voice agent misunderstands callers',
    outcome: 'Fewer requests completed by the voice agent',
    capacity: 'Calls to the voice agent are not answered',
  }[kind];
}

function impactInternal(lead: Trigger, incident: Incident): string {
  const f = incident.figures;
  const calls = `${f.callsAffected} calls affected`;
  if (KIND[lead.metric] === 'latency') {
    const p90 = f.p90Ms ?? f.peakWindowP90Ms;
    return `callers wait ${ms(p90)} at P90 for a reply (${f.baselineSource} ${ms(f.baselineP90Ms)}); ${calls}`;
  }
  return `${lead.label} ${format(lead.value, lead.metric)}; ${calls}, ${f.failedCalls} failed or abandoned`;
}

function impactExternal(kind: Kind, incident: Incident): string {
  const f = incident.figures;
  switch (kind) {
    case 'latency': {
      const p90 = f.p90Ms ?? f.peakWindowP90Ms;
      return `Callers are waiting longer than usual for the voice agent to respond: 1 in 10 responses takes more than ${seconds(p90)} (normally under ${seconds(f.baselineP90Ms)}). About ${f.callsAffected} calls have been affected so far.`;
    }
    case 'failures':
      return `Some calls with the voice agent are failing or being cut short. About ${f.callsAffected} calls have been affected so far.`;
    case 'understanding':
      return 'The voice agent may misunderstand what callers say and respond incorrectly.';
    case 'outcome':
      return 'Fewer callers than usual are able to complete their requests with the voice agent.';
    case 'capacity':
      return 'Calls to the voice agent may not be answered.';
  }
}

/** Steps of the seed's checklist for the severity at the incident's age. */
function checklistSteps(incident: Incident, now: number): string[] {
  const list = { 'SEV-1': SEV1_CHECKLIST, 'SEV-2': SEV2_CHECKLIST, 'SEV-3': SEV3_CHECKLIST }[
    incident.severity
  ];
  const minute = (now - incident.openedAt) / 60_000;
  const phase =
    list.find((p) => minute >= p.fromMinute && (p.toMinute === null || minute < p.toMinute)) ??
    list[list.length - 1]!;
  return [`${phase.title}:`, ...phase.steps];
}

function nextUpdate(incident: Incident, now: number): number {
  return now + SEVERITY_LEVELS[incident.severity].updateEvery.minMinutes * 60_000;
}

function detectedAt(incident: Incident): number {
  return incident.timeline.find((e) => e.event === 'detected')?.at ?? incident.openedAt;
}

/** The message's time: the option, else when the payload was made (its duration is measured up to then). */
function timeOf(incident: Incident, options: TemplateOptions): number {
  return options.now ?? incident.openedAt + incident.figures.durationMs;
}

function ms(v: number | null): string {
  return format(v, 'e2eLatencyP90Ms');
}

function seconds(v: number | null): string {
  return v === null ? 'several seconds' : `${(v / 1000).toFixed(1)} seconds`;
}

/** `1 h 05 min`, `14 min`, `45 s`. */
export function duration(msValue: number): string {
  const s = Math.max(0, Math.round(msValue / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** `2026-02-21 14:37 UTC` */
function timestamp(t: number): string {
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `14:37 UTC` on the same UTC day as `now`, else the full timestamp. */
function clock(t: number, now: number): string {
  const a = new Date(t).toISOString();
  return a.slice(0, 10) === new Date(now).toISOString().slice(0, 10)
    ? `${a.slice(11, 16)} UTC`
    : timestamp(t);
}

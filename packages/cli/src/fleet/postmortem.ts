/**
 * Seed 000's "Incident Postmortem Template" filled from an incident: the overview, a summary, the
 * impact table with the figures the monitor measured, the timeline in UTC from the incident's own
 * timeline, a five-whys scaffold, action items split into mitigation / prevention / detection, lessons
 * learned and what to update afterwards (`POSTMORTEM_UPDATES`); then the three communication templates
 * rendered by core from the same incident. What only people know (root cause, owners, commander)
 * stays as the seed's `{placeholder}` unless given.
 */
import {
  type Incident,
  INCIDENT_TEST_CASES,
  POSTMORTEM_UPDATES,
  renderInternalUpdate,
  renderResolution,
  renderStakeholderUpdate,
  type TimelineEntry,
  type Trigger,
} from '@voxtrace/core';
import { type Layer, SEED_FACTS } from '@voxtrace/core/thresholds';
import { formatDuration, formatUtc, formatValue } from './format.js';

/** What people add to the postmortem; each left out stays a `{placeholder}`. */
export interface PostmortemOptions {
  /** Default: the description the monitor's templates give the incident. */
  title?: string;
  commander?: string;
  participants?: string[];
  /** One sentence, also the resolution message's root cause. */
  rootCause?: string;
  /** What was changed, also the resolution message's fix. */
  fixApplied?: string;
  /** Also the resolution message's prevention line. */
  prevention?: string;
}

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

/** Which of the seed's test case categories fits an incident on a layer. */
const TEST_CASE_BY_LAYER: Partial<Record<Layer, (typeof INCIDENT_TEST_CASES)[number]['incident']>> = {
  stt: 'ASR failure for specific accent',
  llm: 'Latency spike from long context',
  tool: 'Tool call failure',
  dialog: 'Dialog loop',
};

const HOUR_MS = 3_600_000;

/** The postmortem as markdown. */
export function renderPostmortem(incident: Incident, options: PostmortemOptions = {}): string {
  const f = incident.figures;
  const end = incident.resolvedAt;
  const detected = incident.timeline.find((e) => e.event === 'detected')?.at ?? incident.openedAt;
  const title = options.title ?? descriptionOf(incident);
  const layer = incident.layer ? LAYER_NAMES[incident.layer] : null;
  const p = (v: number | null) => (v === null ? 'n/a' : formatValue(v, 'ms'));
  const task = incident.triggers.find((t) => t.metric === 'taskCompletionRate');
  const lines: string[] = [
    '# Voice Agent Incident Postmortem',
    '',
    `**Title:** ${title}`,
    `**Date:** ${new Date(incident.openedAt).toISOString().slice(0, 10)}`,
    `**Duration:** ${formatUtc(incident.openedAt)} - ${end === null ? `ongoing (last update ${formatUtc(incident.updatedAt)})` : formatUtc(end)} (${formatDuration(f.durationMs)}; first anomalous metric ${formatUtc(detected)})`,
    `**Severity:** ${incident.peakSeverity}${incident.peakSeverity !== incident.severity ? ` (${incident.severity} at the end)` : ''}`,
    `**Incident Commander:** ${options.commander ?? '{Name}'}`,
    `**Participants:** ${options.participants?.join(', ') ?? '{List of involved team members}'}`,
    `**Incident id:** ${incident.id}`,
    '',
    '## Summary',
    '',
    `${end === null ? 'Since' : 'Between'} ${formatUtc(incident.openedAt)}${end === null ? '' : ` and ${formatUtc(end, incident.openedAt)}`}, ${f.callsAffected} calls (${f.turns} turns) were affected: ${title}. ${layer ? `The monitor attributed it to the ${layer} layer. ` : ''}Turn latency P90 was ${p(f.p90Ms)} during the incident against a ${f.baselineSource} of ${p(f.baselineP90Ms)}; ${f.failedCalls} calls failed or were abandoned. ${options.rootCause ? `Root cause: ${sentence(options.rootCause)}` : '{Root cause, in one sentence}.'} ${options.fixApplied ? `Resolved by: ${sentence(options.fixApplied)}` : '{How it was resolved}.'}`,
    '',
    '## Impact Assessment',
    '',
    '| Dimension | Measurement |',
    '|---|---|',
    `| Users affected | {Number or percentage of total users}: ${f.callsAffected} calls had a turn or ended while the incident was open |`,
    `| Calls impacted | ${f.callsAffected} calls (${f.turns} turns) during the incident window |`,
    `| Failed calls | ${f.failedCalls} failed or abandoned |`,
    '| Revenue impact | {Estimated revenue loss if applicable} |',
    `| Latency degradation | P90 ${p(f.p90Ms)} during the incident vs ${f.baselineSource === 'baseline' ? 'baseline (same hour, earlier week)' : 'target'} P90 ${p(f.baselineP90Ms)}; highest 5-minute P90 ${p(f.peakWindowP90Ms)} |`,
    '| SLA consumption | {Error budget consumed by this incident} |',
    `| Task completion impact | ${task ? `${figure(task, task.worstValue ?? task.value)} at worst during the incident (threshold ${task.comparator} ${formatValue(task.threshold, task.unit)})` : '{Task completion rate during incident vs. baseline} (no task completion rule fired)'} |`,
    '',
    'What the monitor measured, rule by rule:',
    '',
    '| Rule | Figure | Severity | Layer | Worst | Threshold | Firing since |',
    '|---|---|---|---|---|---|---|',
    ...incident.triggers.map(
      (t) =>
        `| ${t.rule} | ${t.label} | ${t.severity} | ${t.layer ? LAYER_NAMES[t.layer] : '—'} | ${figure(t, t.worstValue ?? t.value)} | ${t.comparator} ${formatValue(t.threshold, t.unit)} | ${t.firingSince === null ? (t.firing ? '—' : 'cleared') : formatUtc(t.firingSince, incident.openedAt)} |`,
    ),
    '',
    '## Timeline of Events',
    '',
    'UTC. From the monitor; add the milestones only people know.',
    '',
    ...incident.timeline.map((e) => `- ${formatUtc(e.at, incident.openedAt)} — ${milestone(e)}`),
    '- {HH:MM UTC} — On-call engineer acknowledged',
    `- {HH:MM UTC} — Root cause identified: ${options.rootCause ?? '{brief description}'}`,
    `- {HH:MM UTC} — Mitigation applied: ${options.fixApplied ?? '{action taken}'}`,
    '',
    '## Root Cause Analysis',
    '',
    'Five Whys: ask "why" until you reach a systemic process failure, not individual human error.',
    '',
    `- Why did callers experience "${title}"? → ${firstAnswer(incident)}`,
    ...Array.from({ length: SEED_FACTS.fiveWhysDepth - 1 }, () => '- Why {…}? → {…}'),
    '',
    `Root cause: ${options.rootCause ?? '{Systemic cause: a missing test, check or alert}'}. Action: {Automated test or check that prevents it}.`,
    '',
    '## Action Items',
    '',
    '### Mitigation (what restored service, already done)',
    '',
    `- [x] ${options.fixApplied ?? '{Action}'} — Owner: {Name} — Done: ${end === null ? '{Date}' : new Date(end).toISOString().slice(0, 10)}`,
    '',
    '### Prevention (what prevents recurrence; schedule it)',
    '',
    ...preventionItems(incident, options),
    '',
    '### Detection (what catches it faster next time)',
    '',
    `- [ ] The first anomalous metric came ${formatDuration(incident.openedAt - detected)} before the incident opened (the rules' \`for\`); review the thresholds and \`for\` of ${ruleList(incident)} — Owner: {Name} — Due: {Date}`,
    '- [ ] {Action} — Owner: {Name} — Due: {Date}',
    '',
    '## Lessons Learned',
    '',
    '1. {Takeaway about detection}: How could we have detected this sooner?',
    '2. {Takeaway about response}: What would have made the response faster?',
    '3. {Takeaway about prevention}: What systemic change prevents recurrence?',
    '4. {Takeaway about communication}: Did stakeholders get the right info at the right time?',
    '',
    '## After the Postmortem',
    '',
    `Hold the postmortem meeting within ${SEED_FACTS.postmortemWithinHours.min}-${SEED_FACTS.postmortemWithinHours.max} hours${end === null ? ' of resolution' : `, by ${formatUtc(end + SEED_FACTS.postmortemWithinHours.max * HOUR_MS)}`}. After every SEV-1 or SEV-2 postmortem, update:`,
    '',
    ...POSTMORTEM_UPDATES.map((u) => `- [ ] ${u}`),
    '',
    '## Communications',
    '',
    'Rendered from the same incident data.',
    '',
    '### Internal update',
    '',
    '```text',
    renderInternalUpdate(incident),
    '```',
    '',
    '### External stakeholder update',
    '',
    '```text',
    renderStakeholderUpdate(incident),
    '```',
    '',
    '### Resolution',
    '',
    ...(incident.status === 'resolved'
      ? [
          '```text',
          renderResolution(incident, {
            rootCause: options.rootCause,
            fixApplied: options.fixApplied,
            prevention: options.prevention,
          }),
          '```',
        ]
      : [`Not resolved yet (status ${incident.status}): no resolution message.`]),
    '',
  ];
  return lines.join('\n');
}

/** Ends `text` with a full stop unless it already ends a sentence. */
const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

function figure(t: Trigger, v: number | null): string {
  return v === null ? 'n/a' : formatValue(v, t.unit);
}

/** The description core's templates give the incident (`[SEV-n] {description} — Update #n`). */
function descriptionOf(incident: Incident): string {
  const first = renderInternalUpdate(incident).split('\n', 1)[0]!;
  return /^\[SEV-\d\] (.*) — Update #\d+$/.exec(first)?.[1] ?? incident.triggers[0]!.label;
}

function milestone(e: TimelineEntry): string {
  switch (e.event) {
    case 'detected':
      return `${e.message.replace(/^First anomalous metric: /, 'First anomalous metric detected by the voxtrace monitor: ')}`;
    case 'opened':
      return `Alert triggered, severity classified as ${e.severity}: ${e.message}`;
    case 'rule_firing':
      return `Alert triggered: ${e.message}`;
    case 'severity_changed':
      return `Severity reclassified: ${e.message}`;
    case 'layer_changed':
      return `Affected layer identified: ${e.message}`;
    case 'mitigating':
      return `Metrics returning to baseline: ${e.message}`;
    case 'resolved':
      return `Incident resolved, monitoring confirmed recovery: ${e.message}`;
    default:
      return e.message;
  }
}

/** The first "because": the layer the monitor found and the component figure behind it, if one fired. */
function firstAnswer(incident: Incident): string {
  // A figure of the layer itself (a component latency or error rate), not a whole-turn one: of the
  // most severe, the one furthest past its threshold.
  const past = (t: Trigger) => {
    const v = t.worstValue ?? t.value;
    if (v === null || t.threshold === 0) return 0;
    return (t.comparator.startsWith('<') ? t.threshold - v : v - t.threshold) / Math.abs(t.threshold);
  };
  const component = incident.triggers
    .filter((t) => t.layer !== null && t.layer === incident.layer && !t.metric.startsWith('e2e'))
    .sort((a, b) => a.severity.localeCompare(b.severity) || past(b) - past(a))[0];
  if (component)
    return `${component.label} reached ${figure(component, component.worstValue ?? component.value)} (threshold ${component.comparator} ${formatValue(component.threshold, component.unit)}) {confirm in the traces: turn.bottleneck}`;
  if (incident.layer) return `the ${LAYER_NAMES[incident.layer]} layer {what in it failed}`;
  return '{which layer: the monitor did not attribute one}';
}

function ruleList(incident: Incident): string {
  return [...new Set(incident.triggers.map((t) => t.rule))].join(', ');
}

/** A regression fixture for CI, and the seed's test case for the layer. */
function preventionItems(incident: Incident, options: PostmortemOptions): string[] {
  const items = [
    `- [ ] Export a failing call of this incident with \`toFixture(record)\` and add it to the regression suite: \`voxtrace replay fixtures/*.json --assert-p90 ${Math.round(incident.figures.baselineP90Ms)}\` in CI — Owner: {Name} — Due: {Date}`,
  ];
  const category = incident.layer ? TEST_CASE_BY_LAYER[incident.layer] : undefined;
  const testCase = INCIDENT_TEST_CASES.find((c) => c.incident === category);
  if (testCase) items.push(`- [ ] ${testCase.incident}: ${testCase.approach} — Owner: {Name} — Due: {Date}`);
  items.push(`- [ ] ${options.prevention ?? '{Action}'} — Owner: {Name} — Due: {Date}`);
  return items;
}

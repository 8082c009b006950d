/**
 * One markdown runbook per alert, from the seed's failure mode library (seed 000) and runbook advice
 * (seed 003: start with the symptom, list diagnostic commands, define escalation, document common
 * fixes, keep a "Last reviewed" date).
 */
import { FAILURE_MODES, INCIDENT_TEST_CASES, LAYER_NOTES } from '@voxtrace/core';
import {
  type Layer,
  RUNBOOK_POLICY,
  SEV1_CHECKLIST,
  SEV2_CHECKLIST,
  SEV3_CHECKLIST,
  type Severity,
  SEVERITY_LEVELS,
} from '@voxtrace/core/thresholds';

/** What a runbook needs to know about its alert. */
export interface RunbookAlert {
  /** Alert name, e.g. `VoxtraceTurnLatencyP90Critical`. */
  name: string;
  summary: string;
  /** What the alert measures, in plain words. */
  measures: string;
  /** The PromQL expression that fires it. */
  expr: string;
  /** `for` in seconds. */
  forSeconds: number;
  sev: Severity;
  /** The layer it implicates; `null` for end-to-end alerts (diagnose every layer). */
  layer: Layer | null;
  /** PromQL to run first: the figure per process, per provider, errors by layer… */
  queries?: readonly { title: string; promql: string }[];
}

/** File name of an alert's runbook. */
export const runbookFileName = (alertName: string) => `${alertName}.md`;

const CHECKLISTS = { 'SEV-1': SEV1_CHECKLIST, 'SEV-2': SEV2_CHECKLIST, 'SEV-3': SEV3_CHECKLIST } as const;
const LAYER_ORDER: Layer[] = [
  'telephony',
  'stt',
  'turn_detection',
  'llm',
  'tool',
  'tts',
  'dialog',
  'network',
];
const LAYER_TITLE: Record<Layer, string> = {
  telephony: 'Telephony',
  stt: 'ASR / STT',
  turn_detection: 'Turn detection',
  llm: 'LLM',
  tool: 'Tools',
  tts: 'TTS',
  dialog: 'Dialog flow',
  network: 'Network / transport',
};

const duration = (s: number) => (s >= 60 && s % 60 === 0 ? `${s / 60} minutes` : `${s} seconds`);

/** Renders the runbook of one alert. `reviewedOn` is the "Last reviewed" date (YYYY-MM-DD). */
export function renderRunbook(alert: RunbookAlert, reviewedOn: string): string {
  const level = SEVERITY_LEVELS[alert.sev];
  const layers = alert.layer ? [alert.layer] : LAYER_ORDER;
  const modes = FAILURE_MODES.filter((m) => layers.includes(m.layer));
  const lines: string[] = [
    `# ${alert.name}`,
    '',
    `> Last reviewed: ${reviewedOn}. Review monthly and after every SEV-1 or SEV-2 postmortem.`,
    '',
    '## Symptom',
    '',
    `**${alert.summary}.** ${alert.measures}. It fires after the condition has held for ${duration(alert.forSeconds)}.`,
    '',
    '```promql',
    alert.expr,
    '```',
    '',
    ...(alert.queries?.length
      ? [
          '## Diagnostic queries',
          '',
          'Run these in Prometheus (or Grafana Explore) to see where it comes from:',
          '',
          ...alert.queries.flatMap((q) => [`**${q.title}**`, '', '```promql', q.promql, '```', '']),
        ]
      : []),
    `## Severity: ${alert.sev}`,
    '',
    `${level.scope}. Response time: ${level.responseTime.label}. Updates every ${level.updateEvery.minMinutes === level.updateEvery.maxMinutes ? duration(level.updateEvery.minMinutes * 60) : `${duration(level.updateEvery.minMinutes * 60)} to ${duration(level.updateEvery.maxMinutes * 60)}`} (${level.updateChannels.join(', ')}).`,
    '',
  ];
  for (const phase of CHECKLISTS[alert.sev]) {
    const window =
      phase.toMinute === null
        ? `from minute ${phase.fromMinute}`
        : `minutes ${phase.fromMinute}-${phase.toMinute}`;
    lines.push(`### ${phase.title} (${window})`, '', ...phase.steps.map((s) => `- [ ] ${s}`), '');
  }
  lines.push('## Diagnose by layer', '');
  lines.push(
    'Open the voxtrace trace of a slow or failed call (`conversation` → `turn` → components): `turn.bottleneck` names the component that held the turn up, and failed components carry `component.error`.',
    '',
  );
  for (const layer of layers) {
    const note = LAYER_NOTES[layer];
    const layerModes = modes.filter((m) => m.layer === layer);
    if (!note && layerModes.length === 0) continue;
    lines.push(`### ${LAYER_TITLE[layer]}`, '');
    if (note) lines.push(`**Check:** ${note.question}.`, '');
    if (note?.insight) lines.push(`> ${note.insight}`, '');
    if (layerModes.length) {
      lines.push('| Failure mode | Symptoms | Diagnostic steps |', '|---|---|---|');
      for (const m of layerModes) lines.push(`| ${m.name} | ${m.symptoms} | ${m.diagnosis} |`);
      lines.push('');
    }
  }
  lines.push(
    '## Common fixes',
    '',
    `The top ${RUNBOOK_POLICY.commonFixesToList} causes for this alert's layer${layers.length > 1 ? 's' : ''}, from the failure mode library:`,
    '',
  );
  for (const m of modes.slice(0, RUNBOOK_POLICY.commonFixesToList)) {
    lines.push(`- **${m.name}** (${m.causes}): ${m.diagnosis}.`);
  }
  lines.push(
    '',
    'Add the fixes your team has applied for this alert here; a runbook is a living document.',
    '',
    '## Escalation',
    '',
    `If you cannot resolve the issue within ${RUNBOOK_POLICY.escalateAfterMinutes} minutes, escalate. Fill in who:`,
    '',
    '| Role | Name | Contact |',
    '|---|---|---|',
    '| Incident commander | | |',
    '| Provider contact (ASR / LLM / TTS) | | |',
    '',
    '## After the incident',
    '',
    'Export the failing call with `toFixture(record)` and add it to the regression suite (`voxtrace replay`):',
    '',
    ...INCIDENT_TEST_CASES.map((c) => `- ${c.incident}: ${c.approach}.`),
    '',
  );
  return lines.join('\n');
}

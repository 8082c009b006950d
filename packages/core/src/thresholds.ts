/**
 * `@voxtrace/core/thresholds`: every number of the two seed documents as typed data.
 *
 * Sources (copied into the repository at `docs/seeds/`):
 * - seed 000 = `000_68c324801950b7ee.txt`, "Voice Agent Incident Response" (Hamming, Feb 2026,
 *   "from 4M+ production calls").
 * - seed 003 = `003_2982c2d3b637419a.txt`, "Alerting & incident response" (course chapter with
 *   Prometheus rules, Alertmanager config and prom-client metrics).
 *
 * Where the seeds disagree both values are kept, each named for its source; `docs/thresholds.md`
 * says which one the default policy uses and why. Latencies are in milliseconds (`…Ms`) unless the
 * name says `_SECONDS`; rates are fractions (0.95, not 95).
 *
 * @packageDocumentation
 */
import { z } from 'zod';

/** A latency band: below `targetMs` is on target, from `warningMs` a warning, above `criticalMs` critical. */
export interface LatencyBand {
  readonly targetMs: number;
  readonly warningMs: number;
  readonly criticalMs: number;
}

/**
 * End-to-end (user speech end → first agent audio) latency thresholds per percentile.
 * Seed 000, tables "Latency alert thresholds (from 4M+ production calls)" and
 * "End-to-end latency targets": P50 <1.5s / 1.5-2.0s / >2.0s, P90 <3.5s / 3.5-5.0s / >5.0s,
 * P95 <5.0s / 5.0-7.0s / >7.0s, P99 <10s / 10-15s / >15s.
 * The warning band starts where the target ends, so `warningMs === targetMs`.
 */
export const E2E_LATENCY_THRESHOLDS = {
  p50: { targetMs: 1500, warningMs: 1500, criticalMs: 2000 },
  p90: { targetMs: 3500, warningMs: 3500, criticalMs: 5000 },
  p95: { targetMs: 5000, warningMs: 5000, criticalMs: 7000 },
  p99: { targetMs: 10000, warningMs: 10000, criticalMs: 15000 },
} as const satisfies Record<'p50' | 'p90' | 'p95' | 'p99', LatencyBand>;

/**
 * Per-component latency thresholds. Seed 000, table "Production latency benchmarks (from 4M+ calls)":
 * STT processing <200ms / 200-400ms / >400ms; LLM TTFT <400 / 400-800 / >800; LLM full response
 * <1000 / 1000-2000 / >2000; TTS TTFB <150 / 150-300 / >300; turn detection <400 / 400-600 / >600;
 * network overhead <100 / 100-200 / >200.
 */
export const COMPONENT_LATENCY_THRESHOLDS = {
  stt: { targetMs: 200, warningMs: 200, criticalMs: 400 },
  llmTtft: { targetMs: 400, warningMs: 400, criticalMs: 800 },
  llmTotal: { targetMs: 1000, warningMs: 1000, criticalMs: 2000 },
  ttsTtfb: { targetMs: 150, warningMs: 150, criticalMs: 300 },
  turnDetection: { targetMs: 400, warningMs: 400, criticalMs: 600 },
  network: { targetMs: 100, warningMs: 100, criticalMs: 200 },
} as const satisfies Record<string, LatencyBand>;

/** Whether a quality metric is bad when it falls `below` or rises `above` its thresholds. */
export type Direction = 'below' | 'above';

/** A quality threshold: `warning` and `critical` in the metric's unit, and the bad direction. */
export interface QualityThreshold {
  readonly warning: number;
  readonly critical: number;
  readonly direction: Direction;
  readonly unit: 'ratio' | 'ms';
}

/**
 * Quality thresholds. Seed 000, table "Critical Voice Agent Metrics" (Monitoring and Alerting
 * Reference): call success <95% / <85%; ASR WER >10% / >20%; P90 end-to-end latency >3.5s / >5.0s;
 * intent accuracy <90% / <80%; task completion <85% / <70%; interruption false positive rate
 * >5% / >10%; TTS error rate >2% / >5%; escalation rate >25% / >40%.
 */
export const QUALITY_THRESHOLDS = {
  callSuccessRate: { warning: 0.95, critical: 0.85, direction: 'below', unit: 'ratio' },
  wordErrorRate: { warning: 0.1, critical: 0.2, direction: 'above', unit: 'ratio' },
  e2eLatencyP90Ms: { warning: 3500, critical: 5000, direction: 'above', unit: 'ms' },
  intentAccuracy: { warning: 0.9, critical: 0.8, direction: 'below', unit: 'ratio' },
  taskCompletionRate: { warning: 0.85, critical: 0.7, direction: 'below', unit: 'ratio' },
  interruptionFalsePositiveRate: { warning: 0.05, critical: 0.1, direction: 'above', unit: 'ratio' },
  ttsErrorRate: { warning: 0.02, critical: 0.05, direction: 'above', unit: 'ratio' },
  escalationRate: { warning: 0.25, critical: 0.4, direction: 'above', unit: 'ratio' },
} as const satisfies Record<string, QualityThreshold>;

/** SEV level names. */
export type Severity = 'SEV-1' | 'SEV-2' | 'SEV-3';

/** A span of minutes, e.g. "every 30-60 minutes". */
export interface MinuteRange {
  readonly minMinutes: number;
  readonly maxMinutes: number;
}

/**
 * SEV levels. Seed 000, table "SEV classification for voice agents" (scope, response time), the
 * "Response requirements" lists under SEV-1/SEV-2/SEV-3, and table "Update Frequency by Severity".
 * `responseTime` is in minutes; SEV-3's "Business hours" has no minute figure (null).
 */
export const SEVERITY_LEVELS = {
  'SEV-1': {
    scope: 'All users affected',
    definition:
      'Complete service unavailability, data loss, active security breach, or conditions affecting all users requiring immediate response.',
    example: 'Complete service down, data loss, security breach',
    responseTime: { label: 'Immediate (15 min)', maxMinutes: 15 },
    requirements: {
      acknowledgeWithinMinutes: 5,
      incidentCommanderWithinMinutes: 10,
      warRoomWithinMinutes: 15,
      stakeholderNotificationWithinMinutes: 30,
    },
    updateEvery: { minMinutes: 30, maxMinutes: 60 },
    updateChannels: ['War room', 'status page', 'stakeholder email'],
    alertmanagerSeverity: 'critical',
  },
  'SEV-2': {
    scope: 'Significant subset',
    definition:
      'Significant subset of users impacted by sustained quality degradation, high error rates, or latency spikes that violate SLA commitments.',
    example: 'High ASR error rates, sustained latency spikes',
    responseTime: { label: '30-60 min', minMinutes: 30, maxMinutes: 60 },
    requirements: {
      acknowledgeWithinMinutes: 15,
      componentMetricsWithinMinutes: 30,
    },
    updateEvery: { minMinutes: 120, maxMinutes: 240 },
    updateChannels: ['Incident channel', 'stakeholder email'],
    alertmanagerSeverity: 'warning',
  },
  'SEV-3': {
    scope: 'Isolated degradation',
    definition:
      'Isolated issues causing slight degradation without SLA violations, addressable during standard business hours.',
    example: 'Slight quality drop, no SLA violation',
    responseTime: { label: 'Business hours', maxMinutes: null },
    requirements: {
      documentWithinMinutes: 24 * 60,
    },
    // "Daily status update until resolved" / "Daily summary".
    updateEvery: { minMinutes: 24 * 60, maxMinutes: 24 * 60 },
    updateChannels: ['Team channel', 'tracking ticket'],
    alertmanagerSeverity: 'warning',
  },
} as const;

/**
 * Voice-specific severity factors. Seed 000, table "Voice-Specific Severity Considerations"
 * (Factor | SEV-3 | SEV-2 | SEV-1). Numeric bands are in ms or fractions; `abandonmentIncrease`
 * is the relative increase over baseline. Note: this table's P90 bands (SEV-2 from 3.5 s, SEV-1
 * above 7 s) are stricter than the trigger lists below (SEV-2 above 7 s, SEV-1 above 15 s).
 */
export const SEVERITY_FACTORS = {
  acousticQuality: {
    'SEV-3': 'Minor artifacts',
    'SEV-2': 'Intelligibility degraded',
    'SEV-1': 'Unintelligible output',
  },
  turnLatencyP90Ms: {
    'SEV-3': { below: 3500, label: '<3.5s (target)' },
    'SEV-2': { from: 3500, to: 7000, label: '3.5-7.0s (degraded)' },
    'SEV-1': { above: 7000, label: '>7.0s (broken)' },
  },
  taskCompletionRate: {
    'SEV-3': { above: 0.8, label: '>80%' },
    'SEV-2': { from: 0.5, to: 0.8, label: '50-80%' },
    'SEV-1': { below: 0.5, label: '<50%' },
  },
  abandonmentIncrease: {
    'SEV-3': { below: 0.05, label: '<5% increase' },
    'SEV-2': { from: 0.05, to: 0.2, label: '5-20% increase' },
    'SEV-1': { above: 0.2, label: '>20% increase' },
  },
  scope: {
    'SEV-3': 'Single workflow',
    'SEV-2': 'User segment or region',
    'SEV-1': 'All users',
  },
} as const;

/** Comparison used by a trigger or rule. */
export type Comparator = '>' | '>=' | '<' | '<=' | '==';

/** A severity trigger: numeric ones name a metric, comparator and value; the rest are descriptions. */
export interface SeverityTrigger {
  readonly id: string;
  readonly description: string;
  readonly metric?: string;
  readonly comparator?: Comparator;
  readonly value?: number;
  /** Layer the trigger implicates, when it names one. */
  readonly layer?: Layer;
}

/** Pipeline layers (seed 000 "Diagnose by layer": telephony, ASR, LLM, TTS; plus tools and dialog). */
export type Layer = 'telephony' | 'stt' | 'llm' | 'tool' | 'tts' | 'dialog' | 'turn_detection' | 'network';

/**
 * SEV-1 triggers. Seed 000, "Voice-specific SEV-1 triggers". Metric names are the monitor's.
 * "All calls failing to connect" is a connect success rate of 0; "zero ASR output" a transcript
 * rate of 0 while calls are active.
 */
export const SEV1_TRIGGERS = [
  {
    id: 'calls-not-connecting',
    description: 'All inbound/outbound calls failing to connect',
    metric: 'callConnectRate',
    comparator: '<=',
    value: 0,
    layer: 'telephony',
  },
  {
    id: 'zero-asr-output',
    description: 'Zero ASR transcription output (complete STT failure)',
    metric: 'sttTranscriptRate',
    comparator: '<=',
    value: 0,
    layer: 'stt',
  },
  { id: 'pii-exposure', description: 'PII/PHI exposure in call recordings or transcripts' },
  {
    id: 'p90-latency-15s',
    description: 'P90 latency exceeding 15 seconds across all calls',
    metric: 'e2eLatencyP90Ms',
    comparator: '>',
    value: 15000,
  },
  {
    id: 'task-completion-10pct',
    description: 'Task completion rate dropping below 10%',
    metric: 'taskCompletionRate',
    comparator: '<',
    value: 0.1,
    layer: 'dialog',
  },
] as const satisfies readonly SeverityTrigger[];

/** SEV-2 triggers. Seed 000, "Voice-specific SEV-2 triggers". */
export const SEV2_TRIGGERS = [
  {
    id: 'wer-25pct',
    description: 'ASR Word Error Rate exceeding 25% for a user segment (accent, language, noise profile)',
    metric: 'wordErrorRate',
    comparator: '>',
    value: 0.25,
    layer: 'stt',
  },
  {
    id: 'p90-latency-7s',
    description: 'P90 end-to-end latency sustained above 7 seconds',
    metric: 'e2eLatencyP90Ms',
    comparator: '>',
    value: 7000,
  },
  {
    id: 'task-completion-50pct',
    description: 'Task completion rate below 50% for specific workflows',
    metric: 'taskCompletionRate',
    comparator: '<',
    value: 0.5,
    layer: 'dialog',
  },
  {
    id: 'tts-unintelligible',
    description: 'TTS output producing unintelligible audio for a provider region',
    layer: 'tts',
  },
  {
    id: 'intent-misclassification-20pct',
    description: 'Intent misclassification rate exceeding 20%',
    metric: 'intentMisclassificationRate',
    comparator: '>',
    value: 0.2,
    layer: 'llm',
  },
] as const satisfies readonly SeverityTrigger[];

/** SEV-3 triggers. Seed 000, "Voice-specific SEV-3 triggers". */
export const SEV3_TRIGGERS = [
  {
    id: 'intermittent-latency-spikes',
    description: 'Intermittent latency spikes affecting less than 5% of calls',
    metric: 'latencySpikeCallShare',
    comparator: '<',
    value: 0.05,
  },
  {
    id: 'minor-asr-degradation',
    description: 'Minor ASR accuracy degradation in edge conditions (heavy background noise)',
    layer: 'stt',
  },
  {
    id: 'cosmetic-tts',
    description: 'Cosmetic TTS issues (slight pronunciation errors for uncommon terms)',
    layer: 'tts',
  },
  {
    id: 'non-critical-tool-failures',
    description: 'Non-critical tool call failures with graceful fallback working',
    metric: 'toolErrorRate',
    comparator: '>',
    value: 0,
    layer: 'tool',
  },
] as const satisfies readonly SeverityTrigger[];

/** A Prometheus alert rule from seed 003, as data. `forSeconds` is the rule's `for`. */
export interface AlertRuleSpec {
  readonly name: string;
  readonly measures: string;
  readonly expr: string;
  readonly comparator: Comparator;
  readonly threshold: number;
  readonly forSeconds: number;
  readonly severity: 'critical' | 'warning';
  readonly summary: string;
  readonly runbookUrl?: string;
  readonly windowSeconds?: number;
}

/**
 * The four alert rules of seed 003 (`alerts/voice-agent-rules.yml`, group `voice-agent-health`),
 * verbatim: expression, threshold, `for`, severity label, summary and runbook URL.
 */
export const ALERT_RULES = {
  AgentHighErrorRate: {
    name: 'AgentHighErrorRate',
    measures: 'Share of agent requests (turns) with status="error" over 5 minutes',
    expr: 'rate(agent_requests_total{status="error"}[5m]) / rate(agent_requests_total[5m]) > 0.05',
    comparator: '>',
    threshold: 0.05,
    windowSeconds: 300,
    forSeconds: 120,
    severity: 'critical',
    summary: 'Agent error rate above 5%',
    runbookUrl: 'https://wiki.example.com/runbooks/agent-error-rate',
  },
  AgentHighLatency: {
    name: 'AgentHighLatency',
    measures: 'P95 of agent_response_seconds (user speech end to first agent audio) over 5 minutes',
    expr: 'histogram_quantile(0.95, rate(agent_response_seconds_bucket[5m])) > 1.5',
    comparator: '>',
    threshold: 1.5,
    windowSeconds: 300,
    forSeconds: 180,
    severity: 'warning',
    summary: 'Agent p95 latency above 1.5s',
    runbookUrl: 'https://wiki.example.com/runbooks/agent-latency',
  },
  STTFailureRate: {
    name: 'STTFailureRate',
    measures: 'Share of STT transcription requests that failed over 5 minutes',
    expr: 'rate(stt_transcription_errors_total[5m]) / rate(stt_transcription_requests_total[5m]) > 0.02',
    comparator: '>',
    threshold: 0.02,
    windowSeconds: 300,
    forSeconds: 120,
    severity: 'critical',
    summary: 'STT failure rate above 2%',
  },
  NoActiveAgents: {
    name: 'NoActiveAgents',
    measures: 'Number of active agent workers',
    expr: 'agent_workers_active == 0',
    comparator: '==',
    threshold: 0,
    forSeconds: 60,
    severity: 'critical',
    summary: 'No active agent workers detected',
  },
} as const satisfies Record<string, AlertRuleSpec>;

/**
 * Metric names seed 003's rules and example code use (prom-client `Counter`/`Histogram`), so those
 * rules run unchanged on voxtrace's metrics.
 */
export const SEED_METRIC_NAMES = {
  requestsTotal: 'agent_requests_total',
  responseSeconds: 'agent_response_seconds',
  sttRequestsTotal: 'stt_transcription_requests_total',
  sttErrorsTotal: 'stt_transcription_errors_total',
  workersActive: 'agent_workers_active',
} as const;

/** Seed 003's `agent_response_seconds` histogram buckets (agent.ts / agent.py). */
export const SEED_RESPONSE_BUCKETS_SECONDS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0] as const;

/**
 * "Any response delay beyond 800ms breaks conversational flow." Seed 000, "Real-time interaction
 * constraints" and the "Key Differences" table (">800ms breaks user experience immediately").
 */
export const CONVERSATIONAL_BREAK_MS = 800;

/**
 * "A single bottleneck (typically LLM TTFT or STT processing) usually accounts for 60-70% of total
 * latency." Seed 000, "Diagnosis approach". A component at or above this share of a turn's latency
 * is flagged as the bottleneck; the upper figure is kept as `BOTTLENECK_SHARE_RANGE`.
 */
export const BOTTLENECK_SHARE = 0.6;
/** Seed 000, "Diagnosis approach": the 60-70% range. */
export const BOTTLENECK_SHARE_RANGE = { min: 0.6, max: 0.7 } as const;

/**
 * "Alert when a metric deviates more than 50% from its 7-day baseline at the same time of day."
 * Seed 000, "Set baseline-relative thresholds".
 */
export const BASELINE_DEVIATION = 0.5;
/** Seed 000, "Set baseline-relative thresholds": the baseline spans 7 days. */
export const BASELINE_DAYS = 7;

/**
 * Root causes by frequency. Seed 000, table "Common Root Causes in Voice Systems"
 * ("Based on analysis of production incidents across 4M+ calls"); frequencies are fractions.
 */
export const ROOT_CAUSE_FREQUENCIES = [
  {
    category: 'Prompt changes without regression testing',
    frequency: 0.35,
    example: 'New prompt breaks existing intent handling',
  },
  {
    category: 'ASR provider degradation',
    frequency: 0.2,
    example: 'Provider model update reduces accuracy for specific accents',
  },
  {
    category: 'Missing component-level monitoring',
    frequency: 0.15,
    example: 'Latency spike undetected because only e2e was monitored',
  },
  {
    category: 'Infrastructure scaling',
    frequency: 0.12,
    example: 'Connection pool exhaustion during traffic peak',
  },
  {
    category: 'Configuration drift',
    frequency: 0.1,
    example: 'Environment variable mismatch between staging and production',
  },
  {
    category: 'Third-party API changes',
    frequency: 0.08,
    example: 'Breaking change in LLM or TTS provider API',
  },
] as const;

/**
 * Other figures of seed 000, kept so that every number of the seed is reachable:
 * - "60% of 'the agent doesn't understand me' reports trace back to ASR-layer issues" (ASR failures);
 * - "LLM failures in voice agents occur at 3-10x higher rates than in text systems" (LLM failures);
 * - "a 40-60% reduction in repeat incidents within 6 months" (Converting Production Failures);
 * - "Run automated test calls every 5-15 minutes" (How Teams Implement…);
 * - "Conduct within 48-72 hours" (Postmortem Meeting Guidelines; Resolution template);
 * - "Did a deployment happen in the last 2 hours?" (SEV-1 checklist, minutes 5-15);
 * - the postmortem meeting agenda minutes (Timeline 15, Root cause 20, Went well 10, Improve 10, Actions 15);
 * - "Document 3-5 key takeaways" (Lessons Learned); "ask why iteratively" five times (Five Whys);
 * - "Scale: 4M+ production calls across 10K+ voice agents (2025-2026)" (Methodology Note).
 */
export const SEED_FACTS = {
  asrShareOfUnderstandingReports: 0.6,
  llmVoiceFailureMultiplier: { min: 3, max: 10 },
  repeatIncidentReductionFromRegressionTests: { min: 0.4, max: 0.6, withinMonths: 6 },
  syntheticCallIntervalMinutes: { minMinutes: 5, maxMinutes: 15 },
  postmortemWithinHours: { min: 48, max: 72 },
  recentDeploymentWindowHours: 2,
  postmortemMeetingAgendaMinutes: {
    timelineReview: 15,
    rootCauseAnalysis: 20,
    whatWentWell: 10,
    whatCouldImprove: 10,
    actionItems: 15,
  },
  lessonsLearnedTakeaways: { min: 3, max: 5 },
  fiveWhysDepth: 5,
  methodology: { productionCalls: 4_000_000, voiceAgents: 10_000, years: '2025-2026' },
  postmortemBaselineP90Ms: 3500,
} as const;

/** A step of a response checklist, with the minute window it belongs to. */
export interface ChecklistPhase {
  readonly fromMinute: number;
  readonly toMinute: number | null;
  readonly title: string;
  readonly steps: readonly string[];
}

/** Seed 000, "SEV-1 Response Checklist" (minutes 0-5, 5-15, 15-30, 30+). */
export const SEV1_CHECKLIST = [
  {
    fromMinute: 0,
    toMinute: 5,
    title: 'Acknowledge and mobilize',
    steps: [
      'Acknowledge incident in on-call channel',
      'Page incident commander (IC) and backup',
      'Create incident ticket with timestamp (UTC)',
      'Open war room (video call link in channel)',
    ],
  },
  {
    fromMinute: 5,
    toMinute: 15,
    title: 'Assess and stabilize',
    steps: [
      'IC confirms severity classification',
      'Check: Did a deployment happen in the last 2 hours?',
      'Check: Are upstream providers (ASR, LLM, TTS) reporting issues?',
      'Check: Infrastructure metrics (CPU, memory, connection pools)',
      'Decision: Can we rollback the last deployment? If yes, initiate rollback',
      'Decision: Can we failover to a backup provider? If yes, initiate failover',
    ],
  },
  {
    fromMinute: 15,
    toMinute: 30,
    title: 'Diagnose by layer',
    steps: [
      'Layer 1 (Telephony): Are calls connecting? Check SIP registration, trunk status',
      'Layer 2 (ASR): Are transcripts being generated? Check STT latency and confidence',
      'Layer 3 (LLM): Are responses being generated? Check TTFT, error rates, rate limits',
      'Layer 4 (TTS): Is audio being synthesized? Check TTS latency and output quality',
      'Identify the affected layer and focus investigation there',
    ],
  },
  {
    fromMinute: 30,
    toMinute: null,
    title: 'Communicate and mitigate',
    steps: [
      'Send first stakeholder notification (use template below)',
      'Implement mitigation (even if temporary)',
      'Verify mitigation is working with synthetic test calls',
      'Schedule 30-minute update cadence',
    ],
  },
] as const satisfies readonly ChecklistPhase[];

/** Seed 000, "SEV-2 Response Checklist" (within 15, 30 and 60 minutes). */
export const SEV2_CHECKLIST = [
  {
    fromMinute: 0,
    toMinute: 15,
    title: 'Initial assessment',
    steps: [
      'Acknowledge in on-call channel with severity classification',
      'Identify affected user segment (geography, language, workflow, time range)',
      'Pull component-level metrics for the affected segment',
      'Check recent deployments (prompt changes, model updates, configuration changes)',
    ],
  },
  {
    fromMinute: 15,
    toMinute: 30,
    title: 'Focused diagnosis',
    steps: [
      'Run synthetic test calls reproducing the reported conditions',
      'Compare current metrics against baseline (previous 24 hours, previous week)',
      'Check upstream provider status pages (Deepgram, OpenAI, ElevenLabs, etc.)',
      'Review recent prompt or configuration changes in version control',
    ],
  },
  {
    fromMinute: 30,
    toMinute: 60,
    title: 'Mitigation',
    steps: [
      'Implement fix or workaround',
      'Validate with test calls and metric verification',
      'Send stakeholder update with root cause hypothesis and ETA',
    ],
  },
] as const satisfies readonly ChecklistPhase[];

/** Seed 000, "SEV-3 Response Checklist" (no minute windows: business hours). */
export const SEV3_CHECKLIST = [
  {
    fromMinute: 0,
    toMinute: null,
    title: 'Business hours',
    steps: [
      'Document issue in tracking system with reproduction steps',
      'Capture relevant logs, metrics, and sample call recordings',
      'Classify affected component (ASR, LLM, TTS, dialog, telephony)',
      'Assess whether issue is trending (getting worse) or stable',
      'Schedule fix for next planned deployment window',
      'Add to next team standup agenda',
    ],
  },
] as const satisfies readonly ChecklistPhase[];

/**
 * Seed 003, `alertmanager/config.yml`: routing, grouping and repeat intervals (in seconds).
 * Critical pages PagerDuty every 15 minutes; warnings go to Slack `#voice-agent-alerts`.
 */
export const ALERTMANAGER_ROUTING = {
  resolveTimeoutSeconds: 300,
  groupBy: ['alertname', 'severity'],
  groupWaitSeconds: 30,
  groupIntervalSeconds: 300,
  repeatIntervalSeconds: 4 * 3600,
  critical: { receiver: 'pagerduty-critical', repeatIntervalSeconds: 900 },
  warning: { receiver: 'slack-warnings', channel: '#voice-agent-alerts' },
} as const;

/**
 * Seed 003, "Writing incident response runbooks": escalate when the responder cannot resolve the
 * issue within 10 minutes; review runbooks monthly; "top three causes" listed as common fixes.
 * The Python example serves metrics on port 9090.
 */
export const RUNBOOK_POLICY = {
  escalateAfterMinutes: 10,
  reviewEveryDays: 30,
  commonFixesToList: 3,
  seedMetricsPort: 9090,
} as const;

/** Every latency threshold of both seeds in seconds, used as histogram bucket boundaries. */
function latencyBoundariesSeconds(): number[] {
  const ms: number[] = [CONVERSATIONAL_BREAK_MS];
  for (const band of [
    ...Object.values(E2E_LATENCY_THRESHOLDS),
    ...Object.values(COMPONENT_LATENCY_THRESHOLDS),
  ]) {
    ms.push(band.targetMs, band.warningMs, band.criticalMs);
  }
  for (const t of [...SEV1_TRIGGERS, ...SEV2_TRIGGERS]) {
    if ('metric' in t && t.metric === 'e2eLatencyP90Ms') ms.push(t.value);
  }
  ms.push(SEVERITY_FACTORS.turnLatencyP90Ms['SEV-1'].above);
  return ms.map((v) => v / 1000);
}

/**
 * Buckets of `agent_response_seconds` and the component histogram: seed 003's buckets
 * (0.3 … 5.0 s) plus every latency threshold above as a boundary, sorted, so that
 * `histogram_quantile` is exact at each threshold.
 */
export const RESPONSE_LATENCY_BUCKETS_SECONDS: readonly number[] = Object.freeze(
  [...new Set([...SEED_RESPONSE_BUCKETS_SECONDS, ...latencyBoundariesSeconds()])].sort((a, b) => a - b),
);

// ---------------------------------------------------------------------------------------------
// Overrides
// ---------------------------------------------------------------------------------------------

const ms = z.number().finite().nonnegative();
const ratio = z.number().finite().min(0).max(1);

const latencyBand = z.object({ targetMs: ms, warningMs: ms, criticalMs: ms }).superRefine((b, ctx) => {
  if (b.targetMs > b.warningMs)
    ctx.addIssue({
      code: 'custom',
      path: ['targetMs'],
      message: `target (${b.targetMs}) must not exceed warning (${b.warningMs})`,
    });
  if (b.warningMs > b.criticalMs)
    ctx.addIssue({
      code: 'custom',
      path: ['warningMs'],
      message: `warning (${b.warningMs}) must not exceed critical (${b.criticalMs})`,
    });
});

const qualityThreshold = z
  .object({
    warning: z.number().finite().nonnegative(),
    critical: z.number().finite().nonnegative(),
    direction: z.enum(['below', 'above']),
    unit: z.enum(['ratio', 'ms']),
  })
  .superRefine((q, ctx) => {
    if (q.unit === 'ratio') {
      for (const k of ['warning', 'critical'] as const) {
        if (q[k] > 1)
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `a rate is a fraction between 0 and 1, got ${q[k]}`,
          });
      }
    }
    const bad = q.direction === 'above' ? q.warning > q.critical : q.warning < q.critical;
    if (bad)
      ctx.addIssue({
        code: 'custom',
        path: ['warning'],
        message:
          q.direction === 'above'
            ? `warning (${q.warning}) must not exceed critical (${q.critical}) for a metric that is bad above`
            : `warning (${q.warning}) must not be below critical (${q.critical}) for a metric that is bad below`,
      });
  });

const latencyMap = <K extends string>(keys: readonly K[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, latencyBand])) as Record<K, typeof latencyBand>);

/** Zod schema of a complete threshold set; `Thresholds` is inferred from it. */
export const thresholdsSchema = z
  .object({
    e2eLatency: latencyMap(['p50', 'p90', 'p95', 'p99'] as const),
    componentLatency: latencyMap([
      'stt',
      'llmTtft',
      'llmTotal',
      'ttsTtfb',
      'turnDetection',
      'network',
    ] as const),
    quality: z.object(
      Object.fromEntries(Object.keys(QUALITY_THRESHOLDS).map((k) => [k, qualityThreshold])) as Record<
        keyof typeof QUALITY_THRESHOLDS,
        typeof qualityThreshold
      >,
    ),
    sevTriggers: z.object({
      sev1P90Ms: ms,
      sev1TaskCompletionRate: ratio,
      sev2P90Ms: ms,
      sev2TaskCompletionRate: ratio,
      sev2WordErrorRate: ratio,
      sev2IntentMisclassificationRate: ratio,
      sev3LatencySpikeCallShare: ratio,
    }),
    alertRules: z.object({
      errorRate: ratio,
      errorRateForSeconds: z.number().finite().nonnegative(),
      p95LatencyMs: ms,
      p95LatencyForSeconds: z.number().finite().nonnegative(),
      sttFailureRate: ratio,
      sttFailureRateForSeconds: z.number().finite().nonnegative(),
      noActiveAgentsForSeconds: z.number().finite().nonnegative(),
    }),
    conversationalBreakMs: ms,
    bottleneckShare: ratio,
    baselineDeviation: z.number().finite().nonnegative(),
  })
  .superRefine((t, ctx) => {
    const s = t.sevTriggers;
    if (s.sev2P90Ms > s.sev1P90Ms)
      ctx.addIssue({
        code: 'custom',
        path: ['sevTriggers', 'sev2P90Ms'],
        message: `the SEV-2 P90 trigger (${s.sev2P90Ms}) must not exceed the SEV-1 trigger (${s.sev1P90Ms})`,
      });
    if (s.sev2TaskCompletionRate < s.sev1TaskCompletionRate)
      ctx.addIssue({
        code: 'custom',
        path: ['sevTriggers', 'sev2TaskCompletionRate'],
        message: `the SEV-2 task completion trigger (${s.sev2TaskCompletionRate}) must not be below the SEV-1 trigger (${s.sev1TaskCompletionRate})`,
      });
  });

/** A complete, validated threshold set (the defaults, or the defaults with a user's overrides). */
export type Thresholds = z.infer<typeof thresholdsSchema>;

/** Any subset of {@link Thresholds}, merged over the defaults by {@link resolveThresholds}. */
export type ThresholdOverrides = DeepPartial<Thresholds>;

/** Recursively optional version of `T`. */
export type DeepPartial<T> = T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

const triggerValue = (list: readonly SeverityTrigger[], id: string): number => {
  const t = list.find((x) => x.id === id);
  if (t?.value === undefined) throw new Error(`no numeric trigger ${id}`);
  return t.value;
};

/** The default threshold set, assembled from the seed constants above. */
export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  e2eLatency: E2E_LATENCY_THRESHOLDS,
  componentLatency: COMPONENT_LATENCY_THRESHOLDS,
  quality: QUALITY_THRESHOLDS,
  sevTriggers: {
    sev1P90Ms: triggerValue(SEV1_TRIGGERS, 'p90-latency-15s'),
    sev1TaskCompletionRate: triggerValue(SEV1_TRIGGERS, 'task-completion-10pct'),
    sev2P90Ms: triggerValue(SEV2_TRIGGERS, 'p90-latency-7s'),
    sev2TaskCompletionRate: triggerValue(SEV2_TRIGGERS, 'task-completion-50pct'),
    sev2WordErrorRate: triggerValue(SEV2_TRIGGERS, 'wer-25pct'),
    sev2IntentMisclassificationRate: triggerValue(SEV2_TRIGGERS, 'intent-misclassification-20pct'),
    sev3LatencySpikeCallShare: triggerValue(SEV3_TRIGGERS, 'intermittent-latency-spikes'),
  },
  alertRules: {
    errorRate: ALERT_RULES.AgentHighErrorRate.threshold,
    errorRateForSeconds: ALERT_RULES.AgentHighErrorRate.forSeconds,
    p95LatencyMs: ALERT_RULES.AgentHighLatency.threshold * 1000,
    p95LatencyForSeconds: ALERT_RULES.AgentHighLatency.forSeconds,
    sttFailureRate: ALERT_RULES.STTFailureRate.threshold,
    sttFailureRateForSeconds: ALERT_RULES.STTFailureRate.forSeconds,
    noActiveAgentsForSeconds: ALERT_RULES.NoActiveAgents.forSeconds,
  },
  conversationalBreakMs: CONVERSATIONAL_BREAK_MS,
  bottleneckShare: BOTTLENECK_SHARE,
  baselineDeviation: BASELINE_DEVIATION,
});

/** Thrown by {@link resolveThresholds} when overrides are inconsistent; `issues` lists each problem. */
export class ThresholdError extends Error {
  override readonly name = 'ThresholdError';
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(`invalid thresholds:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * Deep-merges `overrides` over {@link DEFAULT_THRESHOLDS} and validates the result.
 * Rejects negative or non-finite values, rates outside 0–1, a warning beyond its critical value,
 * a target beyond its warning value and unknown keys, with a {@link ThresholdError} whose message
 * names each path and rule (e.g. `e2eLatency.p90.warningMs: warning (6000) must not exceed critical (5000)`).
 */
export function resolveThresholds(overrides: ThresholdOverrides = {}): Thresholds {
  const merged = deepMerge(DEFAULT_THRESHOLDS, overrides);
  const parsed = thresholdsSchema.safeParse(strictDeep(merged));
  if (parsed.success) return parsed.data;
  throw new ThresholdError(
    parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message })),
  );
}

/** Reject unknown keys at every depth: a typo in an override must not be silently ignored. */
function strictDeep(value: unknown, base: unknown = DEFAULT_THRESHOLDS, path: string[] = []): unknown {
  if (!isPlainObject(value) || !isPlainObject(base)) return value;
  for (const k of Object.keys(value)) {
    if (!(k in base))
      throw new ThresholdError([{ path: [...path, k].join('.'), message: 'unknown threshold' }]);
    strictDeep(value[k], base[k], [...path, k]);
  }
  return value;
}

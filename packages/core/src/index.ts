/**
 * `@voxtrace/core`: conversation-scoped OpenTelemetry traces, per-turn latency and incident
 * severity for voice agents. Start with {@link createVoxtrace}.
 *
 * @packageDocumentation
 */
export { ATTR, SPAN } from './attributes.js';
export {
  applyContentPolicy,
  applyErrorPolicy,
  type ContentField,
  type ContentMode,
  type ContentOptions,
  type ContentRedactor,
  contentModeFromEnv,
  ibanValid,
  LOOKAHEAD_CHARS,
  luhnValid,
  MAX_ATTRIBUTE_CHARS,
  MAX_ATTRIBUTE_KEY_CHARS,
  MAX_CONTENT_CHARS,
  REDACTION_FAILED,
  REDACTOR_PAUSE_MS,
  redact,
} from './content.js';
export {
  Conversation,
  type ConversationOptions,
  type EndOptions,
  replayConversation,
} from './conversation.js';
export { checkFactoryArguments } from './arguments.js';
export {
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticHandler,
  describeError,
  warnDeprecated,
} from './diagnostics.js';
export {
  attributesSchema,
  type ErrorLayer,
  type EventAttributes,
  isExactVoiceEvent,
  layerSchema,
  type ParsedEvent,
  parseVoiceEvent,
  VOICE_EVENT_TYPES,
  type VoiceEvent,
  type VoiceEventOf,
  type VoiceEventType,
  voiceEventSchema,
} from './events.js';
export {
  type Fixture,
  fixtureSchema,
  parseFixture,
  replayFixture,
  type ToFixtureOptions,
  toFixture,
} from './fixture.js';
export {
  CountingExporter,
  type ExporterStats,
  type ExportStats,
  type OtlpOptions,
  otlpConfiguredByEnv,
} from './export.js';
export { ExportQueue, type ExportQueueOptions, type SpanDropReason } from './export-queue.js';
export { DerivedIdGenerator, traceIdForConversation } from './ids.js';
export {
  type AnyRegistry,
  createFetchMetricsHandler,
  createMetricsHandler,
  MetricsError,
  type MetricsHandlerOptions,
  type MetricsOptions,
  type MetricsSource,
  OVERFLOW_LABEL_VALUE,
  SEVERITY_GAUGE_VALUE,
  UNKNOWN_LABEL_VALUE,
  VOXTRACE_METRIC_NAMES,
} from './metrics.js';
export { type BaselineData, BaselineError, baselineDataSchema } from './monitor/baseline.js';
export type {
  Incident,
  IncidentFigures,
  IncidentStatus,
  TimelineEntry,
  Trigger,
} from './monitor/incidents.js';
export {
  MONITOR_METRIC_INFO,
  type MonitorMetric,
  type MonitorMetricInfo,
  monitorMetricSchema,
} from './monitor/measures.js';
export {
  type CreateMonitorOptions,
  createMonitor,
  type LatencySummary,
  type Monitor,
  type MonitorComponent,
  type MonitorOptions,
  type MonitorSnapshot,
  type QualityObservation,
  qualityObservationSchema,
  RATE_METRICS,
  type RateMetric,
  type RuleSnapshot,
} from './monitor/monitor.js';
export {
  DEFAULT_FOR_MS,
  DEFAULT_MIN_SAMPLES,
  type DefaultRuleOptions,
  defaultRules,
  type MonitorRule,
  monitorRuleSchema,
  RuleError,
  type RuleState,
} from './monitor/rules.js';
export {
  type InternalUpdateOptions,
  type ResolutionOptions,
  renderInternalUpdate,
  renderResolution,
  renderStakeholderUpdate,
  type StakeholderUpdateOptions,
  type TemplateOptions,
} from './monitor/templates.js';
export {
  FAILURE_MODES,
  type FailureMode,
  INCIDENT_TEST_CASES,
  LAYER_NOTES,
  POSTMORTEM_UPDATES,
} from './playbook.js';
export {
  type Bottleneck,
  type ComponentCall,
  type ConversationRecord,
  type EndReason,
  type EventStats,
  type LatencyComponent,
  type LlmCall,
  type Outcome,
  outcomeSchema,
  type SttResult,
  type ToolCall,
  type TtsCall,
  type TurnDetection,
  type TurnError,
  type TurnRecord,
} from './records.js';
export { GEN_AI_LATEST_EXPERIMENTAL, type SpanNaming } from './semconv.js';
export type { ConversationInfo, ConversationSink, VoxtraceSink } from './sink.js';
export { resolveThresholds, ThresholdError, type ThresholdOverrides, type Thresholds } from './thresholds.js';
export {
  type ConversationHandle,
  createVoxtrace,
  type StartConversationOptions,
  type Voxtrace,
  type VoxtraceEvents,
  type VoxtraceOptions,
  type VoxtraceStats,
} from './voxtrace.js';

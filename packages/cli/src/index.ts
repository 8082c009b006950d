/**
 * `@voxtrace/cli`: the `voxtrace` command and its building blocks as a library.
 *
 * @packageDocumentation
 */
export { type Command, commands } from './commands/index.js';
export { type ReplayReport, replayFiles } from './commands/replay.js';
export { parseReplayInput, type ReplayFormat, type ReplayInput, ReplayInputError } from './replay/inputs.js';
export { type ReplayResult, replayInput } from './replay/run.js';
export {
  type AlertmanagerOptions,
  alertmanagerYaml,
  generateAlertmanagerConfig,
} from './fleet/alertmanager.js';
export { type RunbookAlert, renderRunbook, runbookFileName } from './fleet/runbook.js';
export { IncidentDocumentError, incidentDocumentSchema, parseIncident } from './fleet/incident.js';
export { type PostmortemOptions, renderPostmortem } from './fleet/postmortem.js';
export { formatDuration, formatUtc, formatValue } from './fleet/format.js';
export {
  type DashboardOptions,
  type DashboardPanel,
  type DashboardTarget,
  generateGrafanaDashboard,
  type GrafanaDashboard,
  type ThresholdStep,
} from './fleet/dashboard.js';
export {
  type AlertAnnotations,
  type AlertingRule,
  type AlertLabels,
  alertNameOf,
  DEFAULT_RUNBOOK_BASE_URL,
  type GeneratedAlert,
  generatePrometheusRules,
  type PrometheusRules,
  type PrometheusRulesOptions,
  prometheusRulesYaml,
  type RecordingRule,
  recordNameOf,
  RULE_GROUPS,
  type RuleFile,
  type UnexportedRule,
} from './fleet/prometheus.js';
export {
  isExported,
  type PromFigure,
  promDuration,
  promFigures,
  scaleOf,
  type UnexportedFigure,
} from './fleet/promql.js';
export {
  connectToDevViewer,
  type DevViewerConnection,
  type DevViewerConnectionOptions,
  type DevViewerConnectionStats,
  type DevViewerSource,
} from './dev/client.js';
export {
  createDevViewer,
  DEFAULT_MAX_BODY_BYTES,
  type DevViewer,
  type DevViewerOptions,
  type Overview,
} from './dev/app.js';
export {
  IncidentBoard,
  type IncidentBoardOptions,
  type IncidentsView,
  type IncidentView,
  incidentSchema,
  type PublishedIncident,
  type PublishedSnapshot,
  type SeverityPoint,
  snapshotSchema,
} from './dev/incidents.js';
export {
  type ComponentMetric,
  type ComponentSample,
  type LatencyView,
  latencyView,
  latestStretch,
  type Percentiles,
  percentiles,
  type TurnSample,
} from './dev/latency.js';
export type { Finding, IncidentCard } from './dev/incident-card.js';
export { decodeJsonTraces, OtlpJsonError } from './dev/otlp-json.js';
export { decodeProtobufTraces } from './dev/otlp-proto.js';
export { ProtobufError } from './dev/protobuf.js';
export { DEFAULT_DEV_PORT, type DevServer, type DevServerOptions, startDevServer } from './dev/server.js';
export type {
  AttributeValue,
  DecodedTraces,
  ReceivedSpan,
  SpanAttributes,
  SpanEvent,
  StatusCode,
} from './dev/span.js';
export { ConversationStore, DEFAULT_MAX_BYTES, type StoreOptions, type StoreStats } from './dev/store.js';
export {
  type ConversationSummary,
  type ConversationView,
  type Segment,
  type SegmentKind,
  SPEECH_ATTR,
  type TurnView,
} from './dev/waterfall.js';

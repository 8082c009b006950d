/**
 * `@voxtrace/vapi`: Vapi server-URL messages and `@vapi-ai/web` client events → voxtrace. One conversation
 * trace per call (trace id = the call's UUID), per-turn felt latency beside Vapi's own figures, outcomes from
 * `endedReason`, `hang` as a stall signal.
 *
 * @packageDocumentation
 */
export { VAPI_AVERAGE_ATTR, VAPI_CALL_ATTR, VAPI_COST_ATTR, VAPI_TURN_ATTR } from './attributes.js';
export {
  type VapiAuth,
  type VapiAuthResult,
  type VapiAuthScheme,
  type VapiBearerAuth,
  type VapiCustomAuth,
  type VapiHmacAuth,
  type VapiLegacyAuth,
  type VapiNoAuth,
  type VapiSecretAuth,
  vapiAuthSchema,
  verifyVapiRequest,
} from './auth.js';
export {
  classifyEndedReason,
  ENDED_REASON_FAMILIES,
  type EndedReasonClass,
  type EndedReasonFamily,
} from './ended-reason.js';
export {
  createVapiWebhookHandler,
  VAPI_DEFAULT_MAX_BODY_BYTES,
  type VapiMessageContext,
  type VapiWebhookOptions,
} from './handler.js';
// The Node and Express bridge every voxtrace webhook shares.
export { type FetchHandler, type NodeRequest, toExpressMiddleware, toNodeHandler } from '@voxtrace/core/http';
export {
  observeVapiMessage,
  observeVapiResponse,
  type VapiObserveAction,
  type VapiObserveOptions,
  type VapiObserveResult,
  type VapiTurnSource,
} from './observe.js';
export { planReport, type ReportPlan, taskCompletedOf } from './report.js';
export type {
  VapiArtifactMessage,
  VapiEndOfCallReport,
  VapiMessage,
  VapiToolCall,
  VapiToolCallsMessage,
  VapiTurnLatency,
} from './schemas.js';
export {
  instrumentVapiWebClient,
  type VapiWebClientInstrumentation,
  type VapiWebClientLike,
  type VapiWebClientOptions,
} from './web-client.js';

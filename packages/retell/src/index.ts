/**
 * `@voxtrace/retell`: Retell AI → voxtrace. Webhooks (`call_started`, `call_ended`, `call_analyzed`)
 * become one conversation-scoped trace per call with its turns, latencies, outcome and analysis; the
 * custom-LLM WebSocket adds live LLM and tool spans to the same trace.
 *
 * @packageDocumentation
 */
export type {
  RetellObserveAction,
  RetellObserveResult,
  RetellTrackingOptions,
  RetellTrackingStats,
} from './calls.js';
export {
  DISCONNECTION_REASONS,
  type DisconnectionMapping,
  mapDisconnectionReason,
  type RetellDisconnectionReason,
} from './disconnection.js';
export {
  type InstrumentRetellLlmSocketOptions,
  instrumentRetellLlmSocket,
  type RetellLlmSocketInstrumentation,
  type RetellLlmSocketLike,
} from './llm-socket.js';
export { closeRetellCalls, observeRetellEvent } from './observe.js';
export {
  RETELL_CALL_EVENTS,
  type RetellCall,
  type RetellCallEvent,
  type RetellLlmRequest,
  type RetellLlmResponse,
  type RetellWebhookBody,
  retellCallSchema,
  retellWebhookSchema,
} from './schema.js';
export {
  checkRetellSignatureHeader,
  RETELL_SIGNATURE_HEADER,
  RETELL_SIGNATURE_TOLERANCE_MS,
  type RetellSignatureFailure,
  type RetellSignatureHeader,
  type RetellSignatureResult,
  retellDigestMatches,
  signRetellPayload,
  type VerifyRetellSignatureOptions,
  verifyRetellSignature,
} from './signature.js';
export { audioSecondsToEpochMs, RETELL_TURN_LATENCY_KEYS } from './transcript.js';
export {
  createRetellWebhookHandler,
  DEFAULT_MAX_BODY_BYTES,
  type NodeRequestLike,
  type NodeResponseLike,
  type RetellDelivery,
  type RetellWebhookHandler,
  type RetellWebhookHandlerOptions,
  type RetellWebhookStats,
} from './webhook.js';

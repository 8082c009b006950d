/**
 * `@voxtrace/core/http`: the HTTP intake the voxtrace adapters share (Vapi and Retell webhooks, the dev
 * viewer's OTLP receiver, the metrics endpoint, the Pipecat listener). For adapter authors; an application
 * uses the handlers the adapters return.
 *
 * - {@link createBodyIntake}: credentials checked from the headers first ({@link HeaderCheck}), then the
 *   body read under caps in bytes, time and concurrency, with one result shape ({@link IntakeResult}).
 * - {@link toNodeHandler}, {@link toExpressMiddleware}, {@link serveNode}: one bridge from a web-standard
 *   `(Request) => Promise<Response>` to Node's `http` and Express that stops reading a refused body.
 *
 * @packageDocumentation
 */
export {
  bearerToken,
  type CredentialVerdict,
  type HeaderCheck,
  type HeaderVerdict,
  safeEqual,
} from './credentials.js';
export {
  type BodyIntake,
  createBodyIntake,
  type IntakeFailure,
  type IntakeResult,
  type ReceiveOptions,
} from './intake.js';
export {
  DEFAULT_BODY_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_BODIES,
  DEFAULT_MAX_QUEUED_BODIES,
  type IntakeLimits,
  type IntakeOptions,
  intakeOptionsSchema,
  resolveIntakeLimits,
} from './limits.js';
export {
  type FetchHandler,
  type NodeRequest,
  serveNode,
  toExpressMiddleware,
  toNodeHandler,
  toRequest,
} from './node.js';

/**
 * `@voxtrace/pipecat-bridge/client`: the bridge and the client-js tee without the WebSocket server
 * (no `ws`, no `node:http`), for bundles that must not pull them in.
 *
 * @packageDocumentation
 */
export {
  createPipecatBridge,
  type IngestMeta,
  type PipecatBridge,
  type PipecatBridgeOptions,
  type PipecatBridgeStats,
} from './bridge.js';
export {
  attachToPipecatClient,
  constructPipecatClient,
  type PipecatClientLike,
  type PipecatClientTeeOptions,
  type PipecatTransportLike,
  wrapPipecatTransport,
} from './client-tee.js';
export { classifyProcessor, type ProcessorInfo, type ProcessorKind } from './processors.js';
export { decodePipecatFrame, type PipecatFrame } from './protobuf.js';
export { type Envelope, envelopeSchema, type RtviMessage, rtviMessageSchema } from './schema.js';
export type { LatencyFrom } from './session.js';
export { secondsToMs } from './units.js';

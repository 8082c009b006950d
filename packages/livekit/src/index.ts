/**
 * `@voxtrace/livekit`: voxtrace for LiveKit Agents (Node). {@link instrumentAgentSession} turns an
 * `AgentSession`'s events into one conversation-scoped trace with per-turn latency equal to LiveKit's
 * own `e2eLatency`; {@link createVoxtraceForLiveKit} shares one tracer provider with LiveKit's telemetry.
 * `@livekit/agents` is used for types only: importing this package loads none of LiveKit's native code.
 *
 * @packageDocumentation
 */
export { LK } from './attributes.js';
export { type InstrumentedSession, type InstrumentOptions, instrumentAgentSession } from './instrument.js';
export type { JobContextLike } from './livekit.js';
export {
  createVoxtraceForLiveKit,
  type LiveKitTelemetryOptions,
  type VoxtraceForLiveKitOptions,
} from './telemetry.js';

/**
 * `@voxtrace/pipecat-bridge`: Pipecat's RTVI message stream → voxtrace conversation traces,
 * per-turn latency, tool spans and usage. Start with {@link createPipecatBridge}, then feed it from
 * {@link listenForPipecat} (bots running the Python observer) or {@link attachToPipecatClient}
 * (apps using `@pipecat-ai/client-js`).
 *
 * @packageDocumentation
 */
export * from './client.js';
export {
  CLOSE_CODES,
  type ListenForPipecatOptions,
  listenForPipecat,
  MAX_PENDING_HANDSHAKES,
  type PipecatListener,
  type PipecatListenerStats,
} from './listen.js';

/**
 * Tees every raw RTVI message a `@pipecat-ai/client-js` app receives into the bridge. The client's
 * callbacks and events are not enough: `bot-interrupted`, `vad-user-*`, the audio levels and
 * `system-log` have no callback at all, and its `PipecatMetricsData` type drops `ttfa`, `tokens`…
 * (research §4.1). So the tee sits where the transport hands messages to the client.
 *
 * Times are when the message reached the client, so latencies include the network path between
 * bot and client (and its jitter). For bot-side timing, use the Python observer and
 * `listenForPipecat` instead.
 *
 * Typed structurally: the client is not a dependency of this package.
 */
import type { PipecatBridge } from './bridge.js';

/** The part of client-js's `Transport` the tee uses: `initialize(options, messageHandler)`. */
export interface PipecatTransportLike {
  initialize(
    options: { callbacks?: { onDisconnected?: () => void } },
    messageHandler: (message: unknown) => void,
  ): void;
}

/** The part of client-js's `PipecatClient` the tee uses: its `transport` and its event emitter. */
export interface PipecatClientLike {
  /** client-js's `transport` getter (a proxy over the transport). */
  readonly transport: object;
  on?(event: 'disconnected', listener: () => void): unknown;
  off?(event: 'disconnected', listener: () => void): unknown;
}

/** Options of {@link attachToPipecatClient} and {@link wrapPipecatTransport}. */
export interface PipecatClientTeeOptions {
  /**
   * The conversation id, or a function returning a new one per connection. Default: a new
   * `pipecat-<uuid>` per connection. A fixed string suits a client that connects once: after the
   * first disconnect, that conversation is ended.
   */
  conversationId?: string | (() => string);
  /** Clock for receive times (epoch ms). Default `Date.now`. */
  now?: () => number;
}

/** Ingests messages for one client, one conversation per connection. */
class Tee {
  private id: string | null = null;

  constructor(
    private readonly bridge: PipecatBridge,
    private readonly opts: PipecatClientTeeOptions,
  ) {}

  message(message: unknown): void {
    const { conversationId } = this.opts;
    this.id ??=
      typeof conversationId === 'function'
        ? conversationId()
        : (conversationId ?? `pipecat-${globalThis.crypto.randomUUID()}`);
    this.bridge.ingest(message, { conversationId: this.id, receivedAt: (this.opts.now ?? Date.now)() });
  }

  disconnected(): void {
    if (this.id === null) return;
    this.bridge.end(this.id);
    this.id = null;
  }

  /** Wraps a message handler: the bridge sees the message first, then the client. */
  handler<M>(next: (message: M) => void): (message: M) => void {
    return (message) => {
      try {
        this.message(message);
      } catch {
        // ingest never throws; a broken id function must not break the app either.
      }
      next(message);
    };
  }
}

/**
 * Tees a transport before it is given to `new PipecatClient({ transport })` (client-js calls
 * `transport.initialize(options, handler)` in its constructor and blocks later calls). Also ends the
 * conversation when the transport reports a disconnect. Returns the same transport.
 */
export function wrapPipecatTransport<T extends PipecatTransportLike>(
  transport: T,
  bridge: PipecatBridge,
  options: PipecatClientTeeOptions = {},
): T {
  const tee = new Tee(bridge, options);
  const initialize = transport.initialize.bind(transport);
  transport.initialize = (clientOptions, handler) => {
    const callbacks = clientOptions?.callbacks;
    const wrapped = callbacks
      ? {
          ...clientOptions,
          callbacks: {
            ...callbacks,
            onDisconnected: () => {
              tee.disconnected();
              callbacks.onDisconnected?.();
            },
          },
        }
      : clientOptions;
    initialize(wrapped, tee.handler(handler));
  };
  return transport;
}

/**
 * Tees an already constructed `PipecatClient`: replaces the message handler its transport holds
 * (`_onMessage`, which client-js's `Transport.initialize` sets) with one that feeds the bridge
 * first, and ends the conversation on the client's `disconnected` event. Returns a function that
 * undoes both. Throws a `TypeError` (at setup, never later) if the transport holds no handler, as
 * a transport not built on client-js's `Transport` might; use {@link wrapPipecatTransport} then.
 */
export function attachToPipecatClient(
  client: PipecatClientLike,
  bridge: PipecatBridge,
  options: PipecatClientTeeOptions = {},
): () => void {
  const transport = client.transport as { _onMessage?: unknown };
  // Read through the descriptor: client-js's transport proxy wraps every function it returns in a
  // closure that looks the property up again at call time, which would call the tee itself.
  const original = Object.getOwnPropertyDescriptor(transport, '_onMessage')?.value;
  if (typeof original !== 'function') {
    throw new TypeError(
      'attachToPipecatClient: the transport holds no message handler; wrap it with wrapPipecatTransport() before new PipecatClient()',
    );
  }
  const tee = new Tee(bridge, options);
  const teed = tee.handler(original as (message: unknown) => void);
  transport._onMessage = teed;
  const onDisconnected = () => tee.disconnected();
  client.on?.('disconnected', onDisconnected);
  return () => {
    if (Object.getOwnPropertyDescriptor(transport, '_onMessage')?.value === teed)
      transport._onMessage = original;
    client.off?.('disconnected', onDisconnected);
  };
}

/**
 * Runs `construct` (`() => new PipecatClient(options)`) where there is no browser: in Node, Electron's
 * main process or an SSR server. client-js 1.x reads `window.navigator` in its constructor to describe
 * the client, which throws `ReferenceError: window is not defined` there. This defines an empty `window`
 * for the duration of the (synchronous) call only and removes it before returning, so no other code ever
 * sees a stand-in browser; client-js then describes the client without a browser, as it does for a
 * browser without a user agent. Where a `window` exists it just calls `construct`. Rethrows what
 * `construct` throws.
 */
export function constructPipecatClient<T>(construct: () => T): T {
  if ('window' in globalThis) return construct();
  Object.defineProperty(globalThis, 'window', { value: {}, configurable: true, writable: true });
  try {
    return construct();
  } finally {
    delete (globalThis as { window?: unknown }).window;
  }
}

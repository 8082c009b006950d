/**
 * `createPipecatBridge(vt)`: the one entry point every input (the forwarder's WebSocket server, the
 * client-js tee, your own code) feeds RTVI messages into. It keeps one {@link PipecatSession} per
 * conversation id and never throws.
 */
import {
  type ConversationRecord,
  checkFactoryArguments,
  describeError,
  type Diagnostic,
  type DiagnosticHandler,
  type EndOptions,
  type EventAttributes,
  type Voxtrace,
} from '@voxtrace/core';
import { decodeInput, decodeMessage } from './decode.js';
import { readsType, UNUSED_TYPES } from './schema.js';
import { type LatencyFrom, PipecatSession } from './session.js';
import { secondsToMs } from './units.js';

/** Options of {@link createPipecatBridge}. */
export interface PipecatBridgeOptions {
  /** Where turn latency starts. Default `user-stopped-speaking`. See {@link LatencyFrom}. */
  latencyFrom?: LatencyFrom;
  /**
   * Pipecat's VAD `stop_secs`, in ms, subtracted from `vad-user-stopped-speaking` to get the end of
   * speech. RTVI does not carry it. Default 200 (`VADParams.stop_secs = 0.2`).
   */
  vadStopDelayMs?: number;
  /** Attributes put on every conversation span (deployment, bot name…). */
  attributes?: EventAttributes;
  /** Clock (epoch ms) for messages that come with no time. Default `Date.now`. */
  now?: () => number;
  /** Called for each input the bridge could not use (code `adapter_error`). Must not throw. */
  onDiagnostic?: DiagnosticHandler;
}

/** Where and when a message was received. */
export interface IngestMeta {
  /** When the message was received or sent, epoch ms. Default: the envelope's `ts`, else now. */
  receivedAt?: number;
  /** The conversation it belongs to. Default: the envelope's `conversation_id`, else the bridge's default conversation. */
  conversationId?: string;
}

/** Counters of {@link PipecatBridge.stats}. */
export interface PipecatBridgeStats {
  /** Inputs received by `ingest`. */
  received: number;
  /**
   * Not for the bridge: another label, a protobuf audio/text frame, an RTVI type the bridge does not
   * read (those never open a conversation).
   */
  ignored: number;
  /** The ignored RTVI messages by type (at most 64 types; the rest under `(other)`). */
  ignoredTypes: Record<string, number>;
  /** Inputs that could not be used (bad JSON, bad protobuf, invalid data of a known type). */
  malformed: number;
  /** Messages for a conversation that had already ended, dropped. */
  afterEnd: number;
  /** Conversations in progress. */
  openConversations: number;
}

/** What {@link createPipecatBridge} returns. */
export interface PipecatBridge {
  /**
   * Feeds one message: an RTVI object, its JSON text, a Pipecat protobuf websocket frame, or a
   * forwarder envelope `{conversation_id, ts, message}` (object or JSON). Never throws.
   */
  ingest(message: unknown, meta?: IngestMeta): void;
  /**
   * Ends a conversation (default: the bridge's default one) and returns its record; `undefined`
   * when it is not open. `endedAt` defaults to its last message.
   */
  end(conversationId?: string, options?: EndOptions): ConversationRecord | undefined;
  /** Ends every open conversation and stops accepting messages. Idempotent. */
  close(): void;
  stats(): PipecatBridgeStats;
}

/** Ended conversation ids remembered, so late messages do not start a second trace. */
const MAX_ENDED_IDS = 10_000;
/** Ignored RTVI types counted by name at most (the type is the peer's text: bounded). */
const MAX_IGNORED_TYPES = 64;

/** Creates a bridge that records Pipecat sessions into `vt`. */
export function createPipecatBridge(vt: Voxtrace, options: PipecatBridgeOptions = {}): PipecatBridge {
  checkFactoryArguments('createPipecatBridge', vt, options);
  const { latencyFrom, vadStopDelayMs } = options;
  if (
    latencyFrom !== undefined &&
    latencyFrom !== 'user-stopped-speaking' &&
    latencyFrom !== 'vad-user-stopped-speaking'
  ) {
    throw new TypeError(`latencyFrom must be 'user-stopped-speaking' or 'vad-user-stopped-speaking'`);
  }
  if (vadStopDelayMs !== undefined && !(Number.isFinite(vadStopDelayMs) && vadStopDelayMs >= 0)) {
    throw new TypeError('vadStopDelayMs must be a non-negative number of milliseconds');
  }
  return new Bridge(vt, options);
}

class Bridge implements PipecatBridge {
  private readonly sessions = new Map<string, PipecatSession>();
  private readonly endedIds = new Set<string>();
  private readonly counts = { received: 0, ignored: 0, malformed: 0, afterEnd: 0 };
  private readonly ignoredTypes = new Map<string, number>();
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  private defaultId: string | null = null;
  private closed = false;

  constructor(
    private readonly vt: Voxtrace,
    private readonly opts: PipecatBridgeOptions,
  ) {
    this.now = opts.now ?? Date.now;
    // However a conversation ends (end(), a fatal error, core's idle timeout or eviction), forget it.
    this.unsubscribe = vt.on('conversation', (record) => this.forget(record.id));
  }

  ingest(message: unknown, meta: IngestMeta = {}): void {
    // For the diagnostic of a failure: read once, as the caller's `meta` may be anything.
    let conversationId: string | undefined;
    try {
      this.counts.received++;
      const metaId = meta.conversationId;
      if (typeof metaId === 'string') conversationId = metaId;
      if (this.closed) {
        this.counts.afterEnd++;
        return;
      }
      const decoded = decodeInput(message);
      switch (decoded.kind) {
        case 'ignored':
          this.counts.ignored++;
          return;
        case 'malformed':
          return this.malformed(decoded.error, message, meta.conversationId);
        case 'rtvi':
          return this.route(decoded.message, meta.conversationId, meta.receivedAt);
        case 'envelope': {
          const env = decoded.envelope;
          const id = meta.conversationId ?? env.conversation_id;
          const at = meta.receivedAt ?? secondsToMs(env.ts);
          if (env.end) {
            this.end(id, { endedAt: at });
            return;
          }
          const inner = decodeMessage(env.message);
          if (inner.kind === 'rtvi') return this.route(inner.message, id, at);
          if (inner.kind === 'ignored') {
            this.counts.ignored++;
            return;
          }
          return this.malformed(inner.kind === 'malformed' ? inner.error : 'nested envelope', message, id);
        }
      }
    } catch (err) {
      // Sessions do not throw by design; this guards the host against a bug of ours.
      this.diagnose(`ingest failed: ${describeError(err)}`, err, conversationId);
    }
  }

  end(conversationId?: string, options: EndOptions = {}): ConversationRecord | undefined {
    try {
      const id = conversationId ?? this.defaultId;
      const session = id === null ? undefined : this.sessions.get(id);
      return session?.end(options);
    } catch (err) {
      this.diagnose(
        `end failed: ${describeError(err)}`,
        err,
        typeof conversationId === 'string' ? conversationId : undefined,
      );
      return undefined;
    }
  }

  close(): void {
    if (this.closed) return;
    for (const id of [...this.sessions.keys()]) this.end(id);
    this.closed = true;
    this.unsubscribe();
  }

  stats(): PipecatBridgeStats {
    return {
      ...this.counts,
      ignoredTypes: Object.fromEntries(this.ignoredTypes),
      openConversations: this.sessions.size,
    };
  }

  private route(message: Parameters<PipecatSession['handle']>[0], id?: string, receivedAt?: number): void {
    // `meta` comes from the caller's code, untyped in JavaScript: check it before using it.
    if (id !== undefined && (typeof id !== 'string' || id.length === 0 || id.length > 256)) {
      return this.malformed('conversationId must be a non-empty string; message dropped', message);
    }
    if (
      receivedAt !== undefined &&
      !(typeof receivedAt === 'number' && Number.isFinite(receivedAt) && receivedAt >= 0)
    ) {
      // A guessed time would misplace the message on the timeline: drop it.
      return this.malformed(
        `receivedAt must be epoch ms, got ${typeof receivedAt}; message dropped`,
        message,
        id,
      );
    }
    if (!readsType(message.type)) return this.ignoreType(message.type, id);
    if (id === undefined && this.defaultId === null)
      this.defaultId = `pipecat-${globalThis.crypto.randomUUID()}`;
    const conversationId = id ?? this.defaultId!;
    if (this.endedIds.has(conversationId)) {
      this.counts.afterEnd++;
      return;
    }
    const time = receivedAt ?? this.now();
    const session = this.sessions.get(conversationId) ?? this.start(conversationId, time);
    session.handle(message, time);
  }

  private start(id: string, at: number): PipecatSession {
    const conv = this.vt.startConversation({
      id,
      platform: 'pipecat',
      startedAt: at,
      attributes: { ...this.opts.attributes },
      // Count turns as Pipecat's TurnTrackingObserver does, so they join Pipecat's turn.number.
      turnContinuation: 'until_agent_speech',
    });
    const session = new PipecatSession(
      conv,
      {
        latencyFrom: this.opts.latencyFrom ?? 'user-stopped-speaking',
        vadStopDelayMs: this.opts.vadStopDelayMs ?? 200,
      },
      { malformed: (message, detail) => this.malformed(message, detail, id) },
      at,
    );
    this.sessions.set(id, session);
    return session;
  }

  /**
   * A type the bridge does not read: counted, never a conversation of its own. A type not known to be
   * unused (one Pipecat added, a typo) is reported the first time it is seen.
   */
  private ignoreType(type: string, conversationId?: string): void {
    this.counts.ignored++;
    const name = type.slice(0, 100);
    const known = this.ignoredTypes.has(name);
    const key = known || this.ignoredTypes.size < MAX_IGNORED_TYPES ? name : '(other)';
    this.ignoredTypes.set(key, (this.ignoredTypes.get(key) ?? 0) + 1);
    if (!known && key !== '(other)' && !UNUSED_TYPES.has(name)) {
      this.diagnose(
        `RTVI message type ${JSON.stringify(key)} is not read by the bridge: ignored (counted in stats().ignoredTypes)`,
        undefined,
        conversationId,
      );
    }
  }

  private forget(id: string): void {
    if (!this.sessions.delete(id)) return;
    if (this.endedIds.size >= MAX_ENDED_IDS) this.endedIds.delete(this.endedIds.values().next().value!);
    this.endedIds.add(id);
    if (this.defaultId === id) this.defaultId = null;
  }

  private malformed(message: string, detail: unknown, conversationId?: string): void {
    this.counts.malformed++;
    this.diagnose(message, detail, conversationId);
  }

  private diagnose(message: string, detail: unknown, conversationId?: string): void {
    const d: Diagnostic = { code: 'adapter_error', message: `pipecat: ${message}`, detail };
    if (conversationId !== undefined) d.conversationId = conversationId;
    this.vt.diagnose(d);
    try {
      this.opts.onDiagnostic?.(d);
    } catch {
      // A user callback must not break the host.
    }
  }
}

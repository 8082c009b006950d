/**
 * The Retell calls one voxtrace instance is following, shared by the webhook handler,
 * `observeRetellEvent` and `instrumentRetellLlmSocket`, so that everything one process learns about a
 * call lands in one conversation (id = Retell's `call_id`, hence one trace) with one set of turns.
 *
 * Every delivery order gives the same trace, because nothing post-call is recorded until the call is
 * emitted, and what is emitted does not depend on the order the deliveries came in:
 * - Each delivery (`call_started` < `call_ended` < `call_analyzed`, by richness) is folded into one
 *   merged call: every field keeps the value of the richest delivery that carried it (see
 *   `merge-call.ts`). Retries are deduplicated on (call id, event) in a bounded set.
 * - The call is emitted once: at `call_analyzed` (Retell's complete call object), or `analysisWaitMs`
 *   after `call_ended` when no analysis comes. Only then are the transcript's turns, the call-level
 *   figures and the outcome recorded, from the merged call; the conversation ends at `end_timestamp`.
 *   A delivery that comes after the emission is a `duplicate` when the emitted data already covered it,
 *   else `late` (reported).
 * - `call_started` opens the conversation (so the call counts as active), at `start_timestamp`.
 * - Turns come from ONE source per call: the live custom-LLM socket when it recorded any, else the
 *   merged post-call transcript (`turnsFrom: 'socket'` never uses the transcript, for a socket served
 *   by another process).
 * - Memory is bounded (`maxCalls`, `dedupeSize`); timers are unref'd and cleared when the conversation
 *   ends for any reason, by {@link RetellCalls.close}, or when `vt.shutdown()` starts (which emits the
 *   waiting calls first).
 */
import type {
  ConversationHandle,
  ConversationRecord,
  Diagnostic,
  DiagnosticHandler,
  Voxtrace,
} from '@voxtrace/core';
import { BoundedSet } from './bounded-set.js';
import {
  type CallEnding,
  callEnding,
  callStartAttributes,
  endTimestamp,
  type Problems,
} from './call-attributes.js';
import { type CallDelivery, MergedCall } from './merge-call.js';
import {
  describeIssues,
  RETELL_CALL_EVENTS,
  type RetellCall,
  type RetellCallEvent,
  retellCallSchema,
  retellWebhookSchema,
} from './schema.js';
import { transcriptEvents } from './transcript.js';

/** Options shared by the webhook handler, `observeRetellEvent` and the socket instrumentation. */
export interface RetellTrackingOptions {
  /**
   * How long after `call_ended` to wait for `call_analyzed` before emitting the call without the
   * analysis. Default 120 000 ms (2 minutes); `0` emits at `call_ended` (a later `call_analyzed` is then
   * reported as late).
   */
  analysisWaitMs?: number;
  /**
   * After the custom-LLM socket closes, how long to wait for `call_ended` when a webhook handler is
   * attached to the same voxtrace. Default 60 000 ms.
   */
  webhookWaitMs?: number;
  /**
   * Where a call's turns come from: `auto` (default) = the live socket when it recorded the call's turns
   * in this process, else the post-call transcript; `socket` = never the transcript, for a custom-LLM
   * socket instrumented in another process.
   */
  turnsFrom?: 'auto' | 'socket';
  /** Turn Retell's per-turn ASR/LLM/TTS figures into component spans (default true). */
  reconstructComponents?: boolean;
  /** Calls followed at most (open or awaiting analysis). Default 10 000. */
  maxCalls?: number;
  /** Webhook deliveries remembered for deduplication. Default 20 000. */
  dedupeSize?: number;
  /** Adapter diagnostics (code `adapter_error`): bad parts of payloads, late analyses. Must not throw. */
  onDiagnostic?: DiagnosticHandler;
}

/** What {@link RetellCalls.observe} did with a delivery. */
export type RetellObserveAction =
  /** Taken into the call (recorded when the call is emitted). */
  | 'recorded'
  /** A retry of a delivery already taken, or one whose data the emitted call already had. */
  | 'duplicate'
  /** Not a call event voxtrace uses (chat events, `call_inbound`, `transcript_updated`). */
  | 'ignored'
  /** `call_ended` / `call_analyzed` after the call was emitted without it (a wait ran out). */
  | 'late';

/** Result of observing one webhook body: what was done, or why the body was refused. */
export type RetellObserveResult =
  | { ok: true; event: string; callId: string | null; action: RetellObserveAction }
  | { ok: false; error: string };

/** Counters of a {@link RetellCalls}. */
export interface RetellTrackingStats {
  /** Calls followed now (open, or ended and awaiting `call_analyzed`). */
  openCalls: number;
  recorded: number;
  duplicates: number;
  ignored: number;
  late: number;
  invalid: number;
  diagnostics: number;
}

interface CallEntry {
  id: string;
  /** Opened by `call_started` (with a start time), the live socket, or the emission. */
  conv: ConversationHandle | null;
  /** What the webhook deliveries said, merged. */
  merged: MergedCall;
  /** The live socket recorded turns. */
  liveTurns: boolean;
  /** Latest time of an event recorded into the call's turns (live or transcript), epoch ms. */
  lastEventAt: number;
  /** The socket closed and the call waits for `call_ended`: how to end if it does not come. */
  fallback: CallEnding | null;
  /** Furthest `transfer_*` event seen. */
  transfer: string | null;
  timer: NodeJS.Timeout | null;
  sockets: number;
}

const DEFAULTS = {
  analysisWaitMs: 120_000,
  webhookWaitMs: 60_000,
  turnsFrom: 'auto' as 'auto' | 'socket',
  reconstructComponents: true,
  maxCalls: 10_000,
  dedupeSize: 20_000,
};

/** Transfer events in the order a transfer goes through them: the furthest one wins, in any order. */
const TRANSFER_STAGES: readonly string[] = [
  'transfer_started',
  'transfer_bridged',
  'transfer_cancelled',
  'transfer_ended',
];

const isCallEvent = (e: string): e is RetellCallEvent =>
  (RETELL_CALL_EVENTS as readonly string[]).includes(e);
const isDelivery = (e: string): e is CallDelivery =>
  e === 'call_started' || e === 'call_ended' || e === 'call_analyzed';

// Keys of the dedupe set: one per (call, event), and what an emitted call contained.
const deliveredKey = (id: string, event: string) => `${id}\u0000${event}`;
const emittedKey = (id: string) => `${id}\u0000emitted`;
const emittedWithKey = (id: string, event: CallDelivery) => `${id}\u0000emitted:${event}`;

/** See the module comment. One per voxtrace instance: get it with {@link retellCallsFor}. */
export class RetellCalls {
  private readonly settings = { ...DEFAULTS };
  private readonly seen: BoundedSet;
  private readonly calls = new Map<string, CallEntry>();
  private readonly diagnosticHandlers = new Set<DiagnosticHandler>();
  private configuredHandler: DiagnosticHandler | undefined;
  private readonly counts = { recorded: 0, duplicates: 0, ignored: 0, late: 0, invalid: 0, diagnostics: 0 };
  /** A webhook handler feeds this instance: a closed socket waits for `call_ended`. */
  webhookAttached = false;

  constructor(private readonly vt: Voxtrace) {
    this.seen = new BoundedSet(this.settings.dedupeSize);
    vt.on('conversation', (record) => this.conversationEnded(record));
    // Emit the waiting calls while their conversations can still take them.
    vt.on('shutdown', () => this.close());
  }

  /** Applies options (later calls override earlier ones, key by key). */
  configure(options: RetellTrackingOptions): void {
    const { onDiagnostic, ...rest } = options;
    for (const [k, v] of Object.entries(rest)) if (v !== undefined) Object.assign(this.settings, { [k]: v });
    if (options.dedupeSize !== undefined) this.seen.capacity = Math.max(1, options.dedupeSize);
    // One configured handler (replaced, not accumulated: options may be passed on every call).
    if (onDiagnostic) this.configuredHandler = onDiagnostic;
  }

  /** Adds a diagnostic listener; returns its remover. */
  onDiagnostic(handler: DiagnosticHandler): () => void {
    this.diagnosticHandlers.add(handler);
    return () => this.diagnosticHandlers.delete(handler);
  }

  stats(): RetellTrackingStats {
    return { openCalls: this.calls.size, ...this.counts };
  }

  /** Observes one parsed webhook body. Never throws. */
  observe(body: unknown): RetellObserveResult {
    const env = retellWebhookSchema.safeParse(body);
    if (!env.success) return this.invalid(describeIssues(env.error));
    const { event } = env.data;
    if (!isCallEvent(event)) return this.done(event, null, 'ignored');
    const raw = env.data.call ?? env.data.data;
    if (raw === undefined) return this.invalid(`call: required for ${event}`);
    const parsed = retellCallSchema.safeParse(raw);
    if (!parsed.success) return this.invalid(describeIssues(parsed.error, 'call'));
    const call = parsed.data;
    let action: RetellObserveAction;
    try {
      action = this.apply(event, call);
    } catch (err) {
      // apply() is written not to throw; this keeps a bug of ours from failing the delivery.
      this.diagnose({
        code: 'adapter_error',
        message: `Retell ${event} ${call.call_id}: internal error: ${String(err)}`,
        conversationId: call.call_id,
      });
      action = 'ignored';
    }
    return this.done(event, call.call_id, action);
  }

  /** Opens (or returns) the call's conversation for a live socket. */
  socketOpened(callId: string): CallEntry & { conv: ConversationHandle } {
    const entry = this.entry(callId);
    const conv = this.openConversation(entry, undefined);
    entry.sockets++;
    // A reconnect (Retell's `auto_reconnect`) cancels the wait started by the previous close.
    if (entry.fallback) {
      entry.fallback = null;
      this.clearTimer(entry);
    }
    return Object.assign(entry, { conv });
  }

  /** The live socket recorded an event of the call's turns at `at`. */
  liveEvent(entry: CallEntry, at: number): void {
    entry.liveTurns = true;
    if (at > entry.lastEventAt) entry.lastEventAt = at;
  }

  /**
   * The live socket closed. With `end`, the conversation ends now; with `await-webhook`, it waits
   * `webhookWaitMs` for `call_ended`, then ends with what the socket saw.
   */
  socketClosed(entry: CallEntry, policy: 'end' | 'await-webhook', failure: string | null): void {
    entry.sockets = Math.max(0, entry.sockets - 1);
    if (entry.sockets > 0 || entry.merged.postCall || this.calls.get(entry.id) !== entry) return;
    if (!entry.conv || entry.conv.ended) return;
    entry.fallback = {
      options: failure ? { outcome: 'error' } : {},
      error: failure ? { layer: 'llm', message: failure } : null,
    };
    if (policy === 'end') return this.emit(entry);
    this.schedule(entry, this.settings.webhookWaitMs, () => this.emit(entry));
  }

  /**
   * Emits now every call awaiting `call_analyzed` (or, after its socket closed, `call_ended`) with what
   * is known, and clears all timers.
   */
  close(): void {
    for (const entry of [...this.calls.values()]) {
      if (entry.merged.postCall || entry.fallback) this.emit(entry);
      else this.clearTimer(entry);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private apply(event: RetellCallEvent, call: RetellCall): RetellObserveAction {
    const id = call.call_id;
    // A stream of partial transcripts: the post-call transcript is complete, the socket is live.
    if (event === 'transcript_updated') return 'ignored';
    const key = deliveredKey(id, event);
    if (this.seen.has(key)) return 'duplicate';
    this.seen.add(key);
    if (this.seen.has(emittedKey(id))) return this.afterEmission(id, event);
    const entry = this.entry(id);
    if (!isDelivery(event)) {
      if (TRANSFER_STAGES.indexOf(event) > TRANSFER_STAGES.indexOf(entry.transfer ?? '')) {
        entry.transfer = event;
      }
      return 'recorded';
    }
    entry.merged.add(event, call);
    if (event === 'call_started') {
      // Opened now only at Retell's start time: a conversation's start cannot move later.
      const startedAt = entry.merged.call.start_timestamp;
      if (startedAt != null) this.openConversation(entry, startedAt);
      return 'recorded';
    }
    entry.fallback = null;
    if (event === 'call_analyzed' || this.settings.analysisWaitMs <= 0) this.emit(entry);
    else this.schedule(entry, this.settings.analysisWaitMs, () => this.emit(entry));
    return 'recorded';
  }

  /** A first delivery of `event` for a call already emitted. */
  private afterEmission(id: string, event: RetellCallEvent): RetellObserveAction {
    const covered =
      this.seen.has(emittedWithKey(id, 'call_analyzed')) ||
      (event !== 'call_analyzed' && this.seen.has(emittedWithKey(id, 'call_ended')));
    if (covered && isDelivery(event)) return 'duplicate';
    if (event !== 'call_ended' && event !== 'call_analyzed') return 'ignored';
    this.diagnose({
      code: 'adapter_error',
      message: `Retell ${event} for ${id} arrived after the call was completed; not recorded (raise ${event === 'call_analyzed' ? 'analysisWaitMs' : 'webhookWaitMs'})`,
      conversationId: id,
    });
    return 'late';
  }

  private entry(id: string): CallEntry {
    const existing = this.calls.get(id);
    if (existing) return existing;
    this.makeRoom();
    const entry: CallEntry = {
      id,
      conv: null,
      merged: new MergedCall(id),
      liveTurns: false,
      lastEventAt: Number.NEGATIVE_INFINITY,
      fallback: null,
      transfer: null,
      timer: null,
      sockets: 0,
    };
    this.calls.set(id, entry);
    return entry;
  }

  private openConversation(entry: CallEntry, startedAt: number | undefined): ConversationHandle {
    if (entry.conv && !entry.conv.ended) return entry.conv;
    entry.conv = this.vt.startConversation({
      id: entry.id,
      platform: 'retell',
      startedAt,
      attributes: callStartAttributes(entry.merged.call),
    });
    return entry.conv;
  }

  /**
   * Records the call from its merged deliveries (turns, call-level figures, outcome) and ends the
   * conversation. Its `conversation` event then forgets the entry.
   */
  private emit(entry: CallEntry): void {
    this.clearTimer(entry);
    if (this.calls.get(entry.id) !== entry) return;
    const problems: Problems = [];
    const { merged } = entry;
    const call = merged.call;
    const conv = this.openConversation(entry, call.start_timestamp ?? endTimestamp(call));
    if (merged.postCall && !entry.liveTurns && this.settings.turnsFrom === 'auto') {
      const options = { reconstructComponents: this.settings.reconstructComponents };
      for (const e of transcriptEvents(call, options, problems)) {
        conv.record(e);
        if (e.at !== undefined && e.at > entry.lastEventAt) entry.lastEventAt = e.at;
      }
    }
    const ending = merged.postCall
      ? callEnding(call, problems)
      : (entry.fallback ?? { options: {}, error: null });
    const attributes = { ...ending.options.attributes };
    if (entry.transfer) attributes['retell.transfer.status'] = entry.transfer;
    // Never end before the call's last recorded event (live events carry this process's clock, and
    // Retell's end_timestamp may disagree with it or with its own word times).
    const endedAt = maxDefined(ending.options.endedAt, entry.lastEventAt);
    if (ending.error) {
      conv.record({
        type: 'error',
        layer: ending.error.layer,
        message: ending.error.message,
        recoverable: false,
        ...(endedAt === undefined ? {} : { at: endedAt }),
      });
    }
    this.seen.add(emittedKey(entry.id));
    for (const event of merged.events) this.seen.add(emittedWithKey(entry.id, event));
    if (problems.length) {
      this.diagnose({
        code: 'adapter_error',
        message: `Retell call ${entry.id}: parts skipped: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`,
        conversationId: entry.id,
      });
    }
    conv.end({ ...ending.options, attributes, ...(endedAt === undefined ? {} : { endedAt }) });
  }

  private conversationEnded(record: ConversationRecord): void {
    const entry = this.calls.get(record.id);
    if (!entry) return;
    if (this.seen.has(emittedKey(entry.id)) || entry.liveTurns) {
      // Emitted, or its live turns are out: a later post-call delivery would duplicate them.
      this.seen.add(emittedKey(entry.id));
      this.clearTimer(entry);
      this.calls.delete(record.id);
      return;
    }
    // Core ended the conversation before the call was emitted (idle timeout, eviction): the emission
    // will open a new one in the same trace.
    entry.conv = null;
  }

  private makeRoom(): void {
    if (this.calls.size < this.settings.maxCalls) return;
    for (const e of this.calls.values()) {
      if (e.merged.postCall || e.fallback) return this.emit(e);
    }
    const oldest = this.calls.values().next().value;
    if (!oldest) return;
    this.clearTimer(oldest);
    this.calls.delete(oldest.id);
    this.diagnose({
      code: 'adapter_error',
      message: `Retell call cap (${this.settings.maxCalls}) reached; stopped following ${oldest.id}`,
      conversationId: oldest.id,
    });
  }

  private schedule(entry: CallEntry, ms: number, fn: () => void): void {
    this.clearTimer(entry);
    entry.timer = setTimeout(fn, ms);
    entry.timer.unref?.();
  }

  private clearTimer(entry: CallEntry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
  }

  private invalid(error: string): RetellObserveResult {
    this.counts.invalid++;
    return { ok: false, error };
  }

  private done(event: string, callId: string | null, action: RetellObserveAction): RetellObserveResult {
    const counter = action === 'duplicate' ? 'duplicates' : action;
    this.counts[counter]++;
    return { ok: true, event, callId, action };
  }

  /** Reports an adapter diagnostic to every listener; a listener that throws is ignored. */
  diagnose(d: Diagnostic): void {
    this.counts.diagnostics++;
    this.vt.diagnose(d);
    for (const h of [this.configuredHandler, ...this.diagnosticHandlers]) {
      if (!h) continue;
      try {
        h(d);
      } catch {
        // A user callback must not break the adapter.
      }
    }
  }
}

function maxDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b === undefined || !Number.isFinite(b) ? undefined : b;
  return b === undefined || !Number.isFinite(b) ? a : Math.max(a, b);
}

const registry = new WeakMap<Voxtrace, RetellCalls>();

/** The {@link RetellCalls} of a voxtrace instance, created on first use. */
export function retellCallsFor(vt: Voxtrace, options?: RetellTrackingOptions): RetellCalls {
  let calls = registry.get(vt);
  if (!calls) {
    calls = new RetellCalls(vt);
    registry.set(vt, calls);
  }
  if (options) calls.configure(options);
  return calls;
}

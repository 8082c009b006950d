/**
 * The Retell calls one voxtrace instance is following, shared by the webhook handler,
 * `observeRetellEvent` and `instrumentRetellLlmSocket`, so that everything one process learns about a
 * call lands in one conversation (id = Retell's `call_id`, hence one trace) with one set of turns.
 *
 * - Retell retries a webhook up to 3 times and sends both `call_ended` and `call_analyzed`: deliveries
 *   are deduplicated on (call id, event) in a bounded set, and a completed call is remembered there too.
 * - Turns come from ONE source per call: the live custom-LLM socket when it recorded any, else the
 *   post-call transcript of the first of `call_ended` / `call_analyzed` (`turnsFrom: 'socket'` never uses
 *   the transcript, for a socket served by another process).
 * - `call_ended` records the turns and call-level figures, then waits `analysisWaitMs` for
 *   `call_analyzed` (task completion, sentiment, voicemail) before ending the conversation at
 *   `end_timestamp`; `call_analyzed` ends it at once.
 * - Memory is bounded (`maxCalls`, `dedupeSize`); timers are unref'd and cleared when the conversation
 *   ends for any reason (including `vt.shutdown()`), or by {@link RetellCalls.close}.
 */
import type {
  ConversationHandle,
  ConversationRecord,
  Diagnostic,
  DiagnosticHandler,
  EventAttributes,
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
   * How long after `call_ended` to wait for `call_analyzed` before ending the conversation without
   * the analysis. Default 120 000 ms (2 minutes); `0` ends at `call_ended` (a later `call_analyzed` is
   * then reported as late).
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
  /** Recorded into the call's conversation. */
  | 'recorded'
  /** A retry (or the other copy) of a delivery already recorded. */
  | 'duplicate'
  /** Not a call event voxtrace uses (chat events, `call_inbound`, `transcript_updated`). */
  | 'ignored'
  /** `call_ended` / `call_analyzed` after the call was completed without it (a wait ran out). */
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
  conv: ConversationHandle;
  /** The live socket recorded turns. */
  liveTurns: boolean;
  /** Latest time of an event recorded into the call's turns (live or transcript), epoch ms. */
  lastEventAt: number;
  transcriptTurns: boolean;
  /** `call_ended` seen: how to end once `call_analyzed` arrives or the wait is over. */
  ending: CallEnding | null;
  /** The socket closed and the call waits for `call_ended`: how to end if it does not come. */
  fallback: CallEnding | null;
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

const isCallEvent = (e: string): e is RetellCallEvent =>
  (RETELL_CALL_EVENTS as readonly string[]).includes(e);

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
    const problems: Problems = [];
    let action: RetellObserveAction;
    try {
      action = this.apply(event, call, problems);
    } catch (err) {
      // apply() is written not to throw; this keeps a bug of ours from failing the delivery.
      problems.push(`internal error: ${String(err)}`);
      action = 'ignored';
    }
    if (problems.length) {
      this.diagnose({
        code: 'adapter_error',
        message: `Retell ${event} ${call.call_id}: parts skipped: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`,
        conversationId: call.call_id,
      });
    }
    return this.done(event, call.call_id, action);
  }

  /** Opens (or returns) the call's conversation for a live socket. */
  socketOpened(callId: string): CallEntry {
    const entry = this.open(callId, undefined, {});
    entry.sockets++;
    // A reconnect (Retell's `auto_reconnect`) cancels the wait started by the previous close.
    if (entry.fallback) {
      entry.fallback = null;
      this.clearTimer(entry);
    }
    return entry;
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
    if (entry.sockets > 0 || entry.ending || entry.conv.ended || this.calls.get(entry.id) !== entry) return;
    const ending: CallEnding = {
      options: failure ? { outcome: 'error' } : {},
      error: failure ? { layer: 'llm', message: failure } : null,
    };
    if (policy === 'end') return this.complete(entry, ending);
    entry.fallback = ending;
    this.schedule(entry, this.settings.webhookWaitMs, () => this.complete(entry, ending));
  }

  /**
   * Ends now every call awaiting `call_analyzed` (or, after its socket closed, `call_ended`) with what
   * is known, and clears all timers.
   */
  close(): void {
    for (const entry of [...this.calls.values()]) {
      const pending = entry.ending ?? entry.fallback;
      if (pending) this.complete(entry, pending);
      else this.clearTimer(entry);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private apply(event: RetellCallEvent, call: RetellCall, problems: Problems): RetellObserveAction {
    const id = call.call_id;
    // A stream of partial transcripts: the post-call transcript is complete, the socket is live.
    if (event === 'transcript_updated') return 'ignored';
    const key = `${id}\u0000${event}`;
    const completed = this.seen.has(`${id}\u0000completed`);
    if (this.seen.has(key)) return 'duplicate';
    this.seen.add(key);
    if (completed) {
      if (event !== 'call_ended' && event !== 'call_analyzed') return 'ignored';
      this.diagnose({
        code: 'adapter_error',
        message: `Retell ${event} for ${id} arrived after the call was completed; not recorded (raise ${event === 'call_analyzed' ? 'analysisWaitMs' : 'webhookWaitMs'})`,
        conversationId: id,
      });
      return 'late';
    }
    switch (event) {
      case 'call_started':
        this.open(id, call.start_timestamp ?? undefined, callStartAttributes(call));
        return 'recorded';
      case 'call_ended':
      case 'call_analyzed':
        this.callFinished(event, call, problems);
        return 'recorded';
      default: {
        const entry = this.calls.get(id);
        if (!entry) return 'ignored';
        entry.conv.setAttributes({ 'retell.transfer.status': event });
        return 'recorded';
      }
    }
  }

  private callFinished(event: 'call_ended' | 'call_analyzed', call: RetellCall, problems: Problems): void {
    const entry =
      this.calls.get(call.call_id) ??
      this.open(call.call_id, call.start_timestamp ?? endTimestamp(call), callStartAttributes(call));
    const ending = callEnding(call, problems);
    // Set now, so that a shutdown before the end still carries them.
    if (ending.options.attributes) entry.conv.setAttributes(ending.options.attributes);
    if (!entry.liveTurns && !entry.transcriptTurns && this.settings.turnsFrom === 'auto') {
      entry.transcriptTurns = true;
      const events = transcriptEvents(
        call,
        { reconstructComponents: this.settings.reconstructComponents },
        problems,
      );
      for (const e of events) {
        entry.conv.record(e);
        if (e.at !== undefined && e.at > entry.lastEventAt) entry.lastEventAt = e.at;
      }
    }
    if (event === 'call_analyzed' || this.settings.analysisWaitMs <= 0) return this.complete(entry, ending);
    entry.ending = ending;
    entry.fallback = null;
    this.schedule(entry, this.settings.analysisWaitMs, () => this.complete(entry, ending));
  }

  private open(id: string, startedAt: number | undefined, attributes: EventAttributes): CallEntry {
    const existing = this.calls.get(id);
    if (existing && !existing.conv.ended) {
      if (Object.keys(attributes).length) existing.conv.setAttributes(attributes);
      return existing;
    }
    this.makeRoom();
    const conv = this.vt.startConversation({ id, platform: 'retell', startedAt, attributes });
    const entry: CallEntry = {
      id,
      conv,
      liveTurns: false,
      lastEventAt: Number.NEGATIVE_INFINITY,
      transcriptTurns: false,
      ending: null,
      fallback: null,
      timer: null,
      sockets: 0,
    };
    this.calls.set(id, entry);
    return entry;
  }

  /** Ends the conversation with `ending`. Its `conversation` event then forgets the entry. */
  private complete(entry: CallEntry, ending: CallEnding): void {
    this.clearTimer(entry);
    if (entry.conv.ended) return;
    // Never end before the call's last recorded event (live events carry this process's clock, and
    // Retell's end_timestamp may disagree with it or with its own word times).
    const endedAt = maxDefined(ending.options.endedAt, entry.lastEventAt);
    if (ending.error) {
      entry.conv.record({
        type: 'error',
        layer: ending.error.layer,
        message: ending.error.message,
        recoverable: false,
        ...(endedAt === undefined ? {} : { at: endedAt }),
      });
    }
    this.seen.add(`${entry.id}\u0000completed`);
    entry.conv.end({ ...ending.options, ...(endedAt === undefined ? {} : { endedAt }) });
  }

  private conversationEnded(record: ConversationRecord): void {
    const entry = this.calls.get(record.id);
    if (!entry) return;
    this.clearTimer(entry);
    this.calls.delete(record.id);
    // Once its turns are recorded, a call is never recorded again (a late copy would duplicate them).
    // A call that core ended before any turn (idle timeout) may still be completed by `call_ended`.
    if (entry.transcriptTurns || entry.liveTurns || entry.ending) this.seen.add(`${entry.id}\u0000completed`);
  }

  private makeRoom(): void {
    if (this.calls.size < this.settings.maxCalls) return;
    for (const e of this.calls.values()) {
      const pending = e.ending ?? e.fallback;
      if (pending) return this.complete(e, pending);
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

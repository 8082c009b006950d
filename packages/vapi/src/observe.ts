/**
 * `observeVapiMessage(vt, body)`: the entry point for the user's own server-URL handler, and what the
 * webhook handler calls. Live messages build a live conversation; the `end-of-call-report` completes it or,
 * when no live turns exist, replays the call from the report. One call, one trace, one set of turns.
 *
 * Reconciliation (`turnSource`):
 * - `auto` (default, one process or per-call sticky routing): a call that sends transcripts live owns its
 *   turns (see `live.ts`); its report completes the live conversation (outcome, end time, costs, Vapi's
 *   averages) without replaying turns. Any other call gets its turns from the report, in the same
 *   conversation.
 * - `report` (set it on every process when messages of one call can reach different processes): live
 *   messages are not recorded; every call's turns come from its report, so exactly one process records it.
 * - `live`: turns only ever come from live messages. A report completes the live conversation when this
 *   process has it, and otherwise records a conversation without turns (outcome, costs) in the same trace.
 *
 * After `status-update: ended` a live call waits `reportTimeoutMs` for its report, then ends with the
 * status's outcome. A report for a call that already ended here (a repeated delivery) is ignored.
 */
import {
  type ConversationRecord,
  describeError,
  type DiagnosticHandler,
  type EventAttributes,
  type Voxtrace,
} from '@voxtrace/core';
import { VAPI_CALL_ATTR } from './attributes.js';
import { callAttributes, toEpochMs } from './call.js';
import { diagnose } from './diagnose.js';
import { classifyEndedReason } from './ended-reason.js';
import {
  functionCallId,
  functionResultEvents,
  type LiveCall,
  liveEvents,
  newLiveCall,
  noteToolAnswer,
  settleToolAnswers,
} from './live.js';
import { endedReasonAttributes, endedReasonError, planReport } from './report.js';
import type { VapiEndOfCallReport, VapiMessage } from './schemas.js';
import { type ParsedBody, parseVapiBody } from './validate.js';

/** Where a call's turns come from (see the module comment of `observe.ts`, and the README). */
export type VapiTurnSource = 'auto' | 'live' | 'report';

/** Options of {@link observeVapiMessage}. */
export interface VapiObserveOptions {
  /** Which messages own a call's turns. Default `auto`. */
  turnSource?: VapiTurnSource;
  /** How long a live call waits for its `end-of-call-report` after `status-update: ended`. Default 120 000 ms. */
  reportTimeoutMs?: number;
  /** Adapter diagnostics (code `adapter_error`): bad parts of messages. Must not throw. */
  onDiagnostic?: DiagnosticHandler;
  /** Clock for messages without `timestamp`, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** What {@link observeVapiMessage} did. */
export type VapiObserveAction = 'recorded' | 'completed' | 'ignored' | 'invalid';

/** Result of {@link observeVapiMessage}. */
export interface VapiObserveResult {
  /** `false` when the body is not a usable Vapi message (`problems` says why); an unknown `type` is ok. */
  ok: boolean;
  /** `message.type` (`''` when unreadable). */
  type: string;
  /** `message.call.id`: the conversation id and, as a UUID, the trace id. */
  callId: string | null;
  action: VapiObserveAction;
  /** Voice events recorded. */
  events: number;
  /** Why the message was ignored. */
  reason?: string;
  /** Why the body was refused (`ok: false`), or which parts of it were skipped (`ok: true`). */
  problems: string[];
  /** The validated message: unknown fields kept, skipped ones removed. */
  message?: VapiMessage;
  /** The conversation record, when this message ended the call. */
  record?: ConversationRecord;
}

/** Live message types voxtrace records (besides `transcript…`). */
const LIVE = new Set([
  'status-update',
  'speech-update',
  'assistant.speechStarted',
  'model-output',
  'voice-input',
  'user-interrupted',
  'tool-calls',
  'function-call',
  'conversation-update',
  'hang',
  'language-change-detected',
]);

/** Ended calls remembered so that a repeated report is not recorded twice. */
const MAX_FINISHED = 10_000;
const DEFAULT_REPORT_TIMEOUT_MS = 120_000;

/**
 * Observes one Vapi server-URL body (`{ message: … }`, parsed JSON). Returns quickly and never throws: a bad
 * body gives `ok: false` with the reasons, a bad part of a good body is skipped and listed in `problems`.
 * Call it from your own handler; it does not answer `tool-calls` or `assistant-request` for you.
 */
export function observeVapiMessage(
  vt: Voxtrace,
  body: unknown,
  options: VapiObserveOptions = {},
): VapiObserveResult {
  try {
    return vapiCallsOf(vt).observe(parseVapiBody(body), options);
  } catch (err) {
    return internalError(vt, options, err);
  }
}

/**
 * Records what your answer to a `tool-calls` (`{ results: [{ toolCallId, result?, error? }] }`) or legacy
 * `function-call` (`{ result }`) message says. A `tool-calls` answer is kept: its tool calls end when Vapi
 * says it got the results (the `tool_call_result` time of the next `conversation-update`, else the
 * report), which includes the way back to Vapi; only a call that ends without either ends them at `at`
 * (epoch ms, default now; marked `vapi.tool.timing: "server_answer"`). A legacy `function-call` has no
 * id to match, so it ends at `at`. The webhook handler does this with `onMessage`'s return value. Never
 * throws.
 */
export function observeVapiResponse(
  vt: Voxtrace,
  body: unknown,
  response: unknown,
  options: VapiObserveOptions & { at?: number } = {},
): VapiObserveResult {
  try {
    return vapiCallsOf(vt).respond(parseVapiBody(body), response, options);
  } catch (err) {
    return internalError(vt, options, err);
  }
}

function internalError(vt: Voxtrace, options: VapiObserveOptions, err: unknown): VapiObserveResult {
  // The options may be what failed: read them once more, guarded.
  let onDiagnostic: VapiObserveOptions['onDiagnostic'];
  try {
    onDiagnostic = options.onDiagnostic;
  } catch {
    // No callback, then.
  }
  diagnose(vt, onDiagnostic, {
    code: 'adapter_error',
    message: `vapi: ${describeError(err)}`,
    detail: err,
  });
  return {
    ok: false,
    type: '',
    callId: null,
    action: 'invalid',
    events: 0,
    problems: [`internal error: ${describeError(err)}`],
  };
}

const registries = new WeakMap<Voxtrace, VapiCalls>();

function vapiCallsOf(vt: Voxtrace): VapiCalls {
  let calls = registries.get(vt);
  if (!calls) {
    calls = new VapiCalls(vt);
    registries.set(vt, calls);
  }
  return calls;
}

/** The Vapi calls of one voxtrace instance: live state by call id, and the calls that ended. */
class VapiCalls {
  private readonly live = new Map<string, LiveCall>();
  private readonly finished = new Set<string>();

  constructor(private readonly vt: Voxtrace) {
    // However a conversation ends (report, timeout, idle, shutdown), its live state goes.
    vt.on('conversation', (record) => this.release(record.id));
  }

  observe(parsed: ParsedBody, options: VapiObserveOptions): VapiObserveResult {
    if (!parsed.ok) return this.invalid(parsed, options);
    const m = parsed.message;
    const base = {
      ok: true,
      type: parsed.type,
      callId: m.call?.id ?? null,
      message: m,
      problems: parsed.problems,
    };
    this.reportProblems(base, options);
    if (parsed.type === 'end-of-call-report') return this.report(m as VapiEndOfCallReport, base, options);
    const ignored = (reason: string): VapiObserveResult => ({
      ...base,
      action: 'ignored',
      events: 0,
      reason,
    });
    if (!LIVE.has(parsed.type) && !parsed.type.startsWith('transcript'))
      return ignored('no voice events in this message type');
    if (!base.callId) return ignored('no call.id');
    if ((options.turnSource ?? 'auto') === 'report')
      return ignored('live messages are not recorded (turnSource "report")');
    if (this.finished.has(base.callId)) return ignored('the call already ended');
    const at = m.timestamp ?? (options.now ?? Date.now)();
    const call = this.open(base.callId, m, at);
    if (parsed.type === 'language-change-detected') {
      const language = (m as { language?: string }).language;
      if (language) call.conv.setAttributes({ [VAPI_CALL_ATTR.language]: language.slice(0, 100) });
      return { ...base, action: 'recorded', events: 0 };
    }
    if (parsed.type === 'status-update')
      return this.status(call, m as VapiMessage & { status: string }, at, base, options);
    const events = liveEvents(call, m, at);
    for (const e of events) call.conv.record(e);
    if (!events.length) return { ...base, action: 'ignored', events: 0, reason: ignoredReason(call) };
    return { ...base, action: 'recorded', events: events.length };
  }

  respond(
    parsed: ParsedBody,
    response: unknown,
    options: VapiObserveOptions & { at?: number },
  ): VapiObserveResult {
    if (!parsed.ok) return this.invalid(parsed, options);
    const m = parsed.message;
    const callId = m.call?.id ?? null;
    const base = { ok: true, type: parsed.type, callId, message: m, problems: parsed.problems };
    const call = callId ? this.live.get(callId) : undefined;
    if (!call) return { ...base, action: 'ignored', events: 0, reason: 'no live call' };
    const at = options.at ?? (options.now ?? Date.now)();
    if (parsed.type !== 'function-call') {
      // The tools end when Vapi says it got the results (`conversation-update`), not when you answered.
      const noted = noteToolAnswer(call, response, at);
      return { ...base, action: noted ? 'recorded' : 'ignored', events: 0 };
    }
    const events = functionResultEvents(call, functionCallId(m.timestamp ?? at), response, at);
    for (const e of events) call.conv.record(e);
    return { ...base, action: events.length ? 'recorded' : 'ignored', events: events.length };
  }

  private invalid(parsed: ParsedBody, options: VapiObserveOptions): VapiObserveResult {
    diagnose(this.vt, options.onDiagnostic, {
      code: 'adapter_error',
      message: `vapi: invalid message${parsed.type ? ` ${parsed.type}` : ''}: ${parsed.problems.join('; ')}`,
    });
    return {
      ok: false,
      type: parsed.type,
      callId: null,
      action: 'invalid',
      events: 0,
      problems: parsed.problems,
    };
  }

  private reportProblems(
    r: { type: string; callId: string | null; problems: string[] },
    options: VapiObserveOptions,
  ): void {
    if (!r.problems.length) return;
    diagnose(this.vt, options.onDiagnostic, {
      code: 'adapter_error',
      message: `vapi ${r.type}: ${r.problems.length} part(s) skipped: ${r.problems.join('; ')}`,
      ...(r.callId && { conversationId: r.callId }),
    });
  }

  /** The live state of a call, starting its conversation on the first message. */
  private open(callId: string, m: VapiMessage, at: number): LiveCall {
    let call = this.live.get(callId);
    if (!call) {
      const conv = this.vt.startConversation({
        id: callId,
        platform: 'vapi',
        startedAt: toEpochMs(m.call?.startedAt) ?? at,
        attributes: callAttributes(m),
      });
      call = newLiveCall(conv);
      this.live.set(callId, call);
    }
    return call;
  }

  private status(
    call: LiveCall,
    m: VapiMessage & { status: string; endedReason?: string },
    at: number,
    base: Omit<VapiObserveResult, 'action' | 'events'>,
    options: VapiObserveOptions,
  ): VapiObserveResult {
    call.conv.setAttributes(callAttributes(m));
    if (m.status !== 'ended') return { ...base, action: 'recorded', events: 0 };
    const reason = m.endedReason ?? m.call?.endedReason ?? null;
    const endedAt = toEpochMs(m.call?.endedAt) ?? at;
    call.ended = { reason, at: endedAt };
    let events = 0;
    // The monitor sees a failed call now, not when the report arrives.
    const fatal = reason ? endedReasonError(reason, endedAt) : null;
    if (fatal && !call.fatalRecorded) {
      call.conv.record(fatal);
      call.fatalRecorded = true;
      events++;
    }
    if (call.timer) clearTimeout(call.timer);
    const id = call.conv.id;
    // setTimeout fires at once beyond 2^31 − 1 ms: cap there.
    const wait = Math.min(options.reportTimeoutMs ?? DEFAULT_REPORT_TIMEOUT_MS, 2 ** 31 - 1);
    call.timer = setTimeout(() => this.endLive(id, options), wait);
    call.timer.unref?.();
    return { ...base, action: 'recorded', events };
  }

  /** Ends a live call whose report did not come, with the outcome of its `status-update`. */
  private endLive(id: string, options: VapiObserveOptions): void {
    try {
      const call = this.live.get(id);
      if (!call?.ended || call.conv.ended) return;
      const reason = call.ended.reason;
      const attributes: EventAttributes = {
        ...this.liveAttributes(call),
        ...(reason && endedReasonAttributes(reason)),
      };
      for (const e of settleToolAnswers(call)) call.conv.record(e);
      this.finish(id);
      call.conv.end({
        endedAt: call.ended.at,
        ...(reason && { outcome: classifyEndedReason(reason).outcome }),
        attributes,
      });
    } catch (err) {
      diagnose(this.vt, options.onDiagnostic, {
        code: 'adapter_error',
        message: `vapi: ${describeError(err)}`,
        conversationId: id,
      });
    }
  }

  private report(
    m: VapiEndOfCallReport,
    base: Omit<VapiObserveResult, 'action' | 'events'>,
    options: VapiObserveOptions,
  ): VapiObserveResult {
    const plan = planReport(m, (options.now ?? Date.now)());
    const problems = [...base.problems, ...plan.problems];
    if (plan.problems.length) this.reportProblems({ ...base, problems: plan.problems }, options);
    const id = plan.callId ?? `vapi-${globalThis.crypto.randomUUID()}`;
    if (!plan.callId) problems.push('message.call.id: missing, the conversation gets a random id');
    if (this.finished.has(id)) {
      return {
        ...base,
        problems,
        action: 'ignored',
        events: 0,
        reason: 'the call already ended (a repeated report?)',
      };
    }
    const mode = options.turnSource ?? 'auto';
    const live = this.live.get(id);
    if (live?.timer) clearTimeout(live.timer);
    const replay = mode === 'report' || (mode === 'auto' && !live?.ownsTurns);
    const conv =
      live?.conv ??
      this.vt.startConversation({
        id,
        platform: 'vapi',
        startedAt: plan.startedAt,
        attributes: plan.callAttributes,
      });
    if (live) conv.setAttributes(plan.callAttributes);
    let events = 0;
    const record = (e: (typeof plan.events)[number]) => {
      conv.record(e);
      events++;
    };
    if (replay) plan.events.forEach(record);
    else if (live?.ownsTurns) {
      // Tool calls the live path saw start but not end: their results are in the report.
      for (const e of plan.events) {
        if (e.type !== 'tool.ended') continue;
        const tool = live.tools.get(e.callId);
        if (tool && !tool.ended) {
          tool.ended = true;
          record(tool.answer?.error ? { ...e, error: tool.answer.error } : e);
        }
      }
      settleToolAnswers(live).forEach(record);
    }
    if (plan.fatal && !live?.fatalRecorded) record(plan.fatal);
    const turnSource = replay ? (plan.events.length ? 'report' : 'none') : live?.ownsTurns ? 'live' : 'none';
    this.finish(id);
    const result = conv.end({
      ...plan.end,
      attributes: {
        ...plan.end.attributes,
        ...(live && this.liveAttributes(live)),
        [VAPI_CALL_ATTR.turnSource]: turnSource,
      },
    });
    return { ...base, callId: id, problems, action: 'completed', events, record: result };
  }

  private liveAttributes(call: LiveCall): EventAttributes {
    return {
      [VAPI_CALL_ATTR.turnSource]: call.ownsTurns ? 'live' : 'none',
      ...(call.hangs && { [VAPI_CALL_ATTR.hangs]: call.hangs }),
    };
  }

  private finish(id: string): void {
    this.finished.add(id);
    if (this.finished.size > MAX_FINISHED) this.finished.delete(this.finished.values().next().value!);
  }

  private release(id: string): void {
    const call = this.live.get(id);
    if (!call) return;
    if (call.timer) clearTimeout(call.timer);
    this.live.delete(id);
  }
}

function ignoredReason(call: LiveCall): string {
  return call.ownsTurns
    ? 'nothing to record in this message'
    : 'held back until the call sends a transcript (else its report has the turns)';
}

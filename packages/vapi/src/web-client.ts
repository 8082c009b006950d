/**
 * `instrumentVapiWebClient(vapi, vt)`: a live conversation from the events of `@vapi-ai/web`'s `Vapi` (typed
 * structurally; the SDK is not a dependency). One conversation per call; the instance can run several calls.
 *
 * - `call-start-progress` / `call-start-success`: the call setup. Core has no span of its own for it, so each
 *   stage's duration is a conversation attribute (`vapi.setup.<stage>_ms`, `vapi.setup.total_ms`) and the
 *   conversation starts when the setup does. `call-start-failed` ends the call as a `telephony` error.
 * - `speech-start` / `speech-end`: the assistant's audio as the browser hears it (`agent.speech.*`). The SDK
 *   derives them from the remote audio level and fires `speech-end` 1000 ms after the last loud sample, so
 *   `speechEndDelayMs` (default 1000) is taken off its time.
 * - `message`: Vapi's client messages, read like the server's live messages (user speech, transcripts, model
 *   output, voice input, tools, interruptions, `hang`). The assistant's `speech-update` is not used: the
 *   client's own `speech-start` includes the network and playout the caller waits for.
 * - `call-end`: ends the conversation, with the outcome of the last `status-update: ended` seen before it
 *   (the SDK synthesizes one after `call-end`, with a guessed `customer-ended-call`: that one is ignored).
 *
 * All times are the browser's clock (`now`), so latencies never mix two clocks.
 */
import {
  type ConversationHandle,
  checkFactoryArguments,
  describeError,
  type DiagnosticHandler,
  type EventAttributes,
  type VoiceEvent,
  type Voxtrace,
} from '@voxtrace/core';
import { VAPI_CALL_ATTR } from './attributes.js';
import { toEpochMs } from './call.js';
import { diagnose } from './diagnose.js';
import { classifyEndedReason } from './ended-reason.js';
import { type LiveCall, liveEvents, newLiveCall, toolResultEvents } from './live.js';
import { endedReasonAttributes } from './report.js';
import { isRecord, parseVapiBody } from './validate.js';

/** The part of `@vapi-ai/web`'s `Vapi` this uses (an EventEmitter). */
export interface VapiWebClientLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  removeListener(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Options of {@link instrumentVapiWebClient}. */
export interface VapiWebClientOptions {
  /** The call id when you have it (`(await vapi.start(…))?.id`); else it is read from the setup events. */
  callId?: string;
  /** How late the SDK's `speech-end` fires after the assistant's audio stops. Default 1000 ms. */
  speechEndDelayMs?: number;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** Adapter diagnostics (code `adapter_error`). Must not throw. */
  onDiagnostic?: DiagnosticHandler;
}

/** The handle {@link instrumentVapiWebClient} returns. */
export interface VapiWebClientInstrumentation {
  /** The current call's conversation, once it started. */
  readonly conversation: ConversationHandle | null;
  /** Stops listening. A call in progress is not ended. */
  stop(): void;
}

const SPEECH_END_DELAY_MS = 1000;

interface CallState {
  callId: string | null;
  setupStartedAt: number | null;
  attributes: EventAttributes;
  live: LiveCall | null;
  speechStartedAt: number | null;
  endedReason: string | null;
}

/** Instruments a `@vapi-ai/web` client. Listeners never throw into the SDK. */
export function instrumentVapiWebClient(
  vapi: VapiWebClientLike,
  vt: Voxtrace,
  options: VapiWebClientOptions = {},
): VapiWebClientInstrumentation {
  checkFactoryArguments('instrumentVapiWebClient', vt, options);
  if (typeof vapi?.on !== 'function' || typeof vapi.removeListener !== 'function')
    throw new TypeError(
      'instrumentVapiWebClient: the client must be a Vapi web SDK instance (on, removeListener)',
    );
  const now = options.now ?? Date.now;
  const endDelay = options.speechEndDelayMs ?? SPEECH_END_DELAY_MS;
  let state = fresh(options.callId ?? null);

  function fresh(callId: string | null): CallState {
    return {
      callId,
      setupStartedAt: null,
      attributes: {},
      live: null,
      speechStartedAt: null,
      endedReason: null,
    };
  }

  /**
   * The call's conversation, started on first need (with a generated id when Vapi's is not known yet);
   * `null` once it ended, until a new call starts (late SDK events never open a conversation).
   */
  function conversation(): LiveCall | null {
    if (state.live) return state.live.conv.ended ? null : state.live;
    const conv = vt.startConversation({
      id: state.callId ?? `vapi-web-${globalThis.crypto.randomUUID()}`,
      platform: 'vapi',
      startedAt: state.setupStartedAt ?? now(),
      attributes: state.attributes,
    });
    state.live = newLiveCall(conv);
    // The browser's own speech events and client messages are the only source of turns here.
    state.live.ownsTurns = true;
    state.live.held = null;
    return state.live;
  }

  function record(event: VoiceEvent): void {
    conversation()?.conv.record(event);
  }

  /** A setup or start after an ended call begins the next call. */
  function nextCallIfEnded(): void {
    if (state.live?.conv.ended) state = fresh(null);
  }

  function setAttributes(a: EventAttributes): void {
    if (state.live) state.live.conv.setAttributes(a);
    else Object.assign(state.attributes, a);
  }

  function learnCallId(id: unknown): void {
    if (typeof id === 'string' && id && id !== 'unknown' && !state.callId && !state.live)
      state.callId = id.slice(0, 200);
  }

  const handlers: Record<string, (arg: unknown) => void> = {
    'call-start-progress': (e) => {
      if (!isRecord(e)) return;
      nextCallIfEnded();
      const at = toEpochMs(typeof e.timestamp === 'string' ? e.timestamp : undefined) ?? now();
      state.setupStartedAt ??= at;
      if (isRecord(e.metadata)) learnCallId(e.metadata.callId);
      if (typeof e.stage === 'string' && typeof e.duration === 'number' && e.status !== 'started') {
        setAttributes({ [`${VAPI_CALL_ATTR.setupPrefix}${stageKey(e.stage)}_ms`]: e.duration });
      }
    },
    'call-start-success': (e) => {
      if (!isRecord(e)) return;
      nextCallIfEnded();
      learnCallId(e.callId);
      if (typeof e.totalDuration === 'number')
        setAttributes({ [VAPI_CALL_ATTR.setupTotalMs]: e.totalDuration });
      conversation();
    },
    'call-start-failed': (e) => {
      nextCallIfEnded();
      const r = isRecord(e) ? e : {};
      const stage = typeof r.stage === 'string' ? r.stage : 'unknown';
      setAttributes({
        [VAPI_CALL_ATTR.setupFailedStage]: stage.slice(0, 100),
        ...(typeof r.totalDuration === 'number' && { [VAPI_CALL_ATTR.setupTotalMs]: r.totalDuration }),
      });
      const error = typeof r.error === 'string' ? `: ${r.error}` : '';
      record({
        type: 'error',
        at: now(),
        layer: 'telephony',
        message: `vapi web call failed to start at ${stage}${error}`.slice(0, 2000),
        recoverable: false,
      });
      conversation()?.conv.end({ outcome: 'error', endedAt: now() });
    },
    'call-start': () => {
      nextCallIfEnded();
      conversation();
    },
    'speech-start': () => {
      const call = conversation();
      if (!call) return;
      const at = now();
      state.speechStartedAt = at;
      call.voicePending = false;
      call.conv.record({ type: 'agent.speech.started', at });
    },
    'speech-end': () => {
      const at = now() - endDelay;
      record({ type: 'agent.speech.ended', at: Math.max(at, state.speechStartedAt ?? at) });
    },
    message: (raw) => {
      // After call-end (e.g. the status-update the SDK synthesizes then), messages belong to no call.
      if (state.live?.conv.ended) return;
      if (isRecord(raw) && isRecord(raw.call)) learnCallId(raw.call.id);
      const parsed = parseVapiBody({ message: raw });
      if (!parsed.ok) {
        diagnose(vt, options.onDiagnostic, {
          code: 'adapter_error',
          message: `vapi web message: ${parsed.problems.join('; ')}`,
          ...(state.callId && { conversationId: state.callId }),
        });
        return;
      }
      const m = parsed.message;
      if (m.type === 'status-update') {
        const ended = (m as { status?: string; endedReason?: string }).status === 'ended';
        if (ended) state.endedReason = (m as { endedReason?: string }).endedReason ?? state.endedReason;
        return;
      }
      if (isAssistantSpeech(m)) return;
      const call = conversation();
      if (!call) return;
      const at = now();
      const events =
        m.type === 'tool-calls-result' || m.type === 'tool.completed'
          ? toolResultEvents(call, clientToolResult(m), at)
          : liveEvents(call, m, at);
      for (const e of events) call.conv.record(e);
    },
    error: (e) => {
      if (!state.live || state.live.conv.ended) return; // a setup error ends in call-start-failed
      const type = isRecord(e) && typeof e.type === 'string' ? e.type : 'error';
      record({
        type: 'error',
        at: now(),
        layer: 'telephony',
        message: `vapi web ${type}`.slice(0, 200),
        recoverable: true,
      });
    },
    'call-end': () => {
      if (!state.live || state.live.conv.ended) return;
      const reason = state.endedReason;
      state.live.conv.end({
        endedAt: now(),
        ...(reason && { outcome: classifyEndedReason(reason).outcome }),
        attributes: {
          [VAPI_CALL_ATTR.turnSource]: 'live',
          ...(state.live.hangs && { [VAPI_CALL_ATTR.hangs]: state.live.hangs }),
          ...(reason && endedReasonAttributes(reason)),
        },
      });
    },
  };

  const listeners = Object.entries(handlers).map(([event, handle]) => {
    const listener = (arg?: unknown) => {
      try {
        handle(arg);
      } catch (err) {
        diagnose(vt, options.onDiagnostic, {
          code: 'adapter_error',
          message: `vapi web ${event}: ${describeError(err)}`,
          detail: err,
        });
      }
    };
    vapi.on(event, listener);
    return [event, listener] as const;
  });

  return {
    get conversation() {
      return state.live?.conv ?? null;
    },
    stop() {
      for (const [event, listener] of listeners) {
        try {
          vapi.removeListener(event, listener);
        } catch {
          // Detaching must not throw either.
        }
      }
    },
  };
}

/** `web-call-creation` → `web_call_creation`, for an attribute key. */
function stageKey(stage: string): string {
  return stage.replace(/[^a-zA-Z0-9]+/g, '_').slice(0, 60);
}

function isAssistantSpeech(m: { type: string; role?: unknown }): boolean {
  return (m.type === 'speech-update' && m.role === 'assistant') || m.type === 'assistant.speechStarted';
}

/** A client `tool-calls-result` / `tool.completed` as a `{ results }` answer. */
function clientToolResult(m: Record<string, unknown>): unknown {
  const r = isRecord(m.toolCallResult) ? m.toolCallResult : isRecord(m.toolCall) ? m.toolCall : m;
  const toolCallId = r.toolCallId ?? r.id;
  return { results: [{ toolCallId, result: r.result, error: r.error }] };
}

/**
 * `instrumentAgentSession`: subscribes to a LiveKit `AgentSession`'s events and translates them into
 * voxtrace `VoiceEvent`s on one conversation, ended when the session closes. It creates no spans or
 * metrics of its own, never throws into LiveKit and never awaits.
 *
 * Where each part of a turn comes from:
 * - turn boundaries, live: `user_state_changed` → speaking (`user.speech.started`),
 *   `agent_state_changed` → speaking / from speaking (`agent.speech.started` / `.ended`);
 * - exact speech times, on `conversation_item_added`: the user's end of speech only from the user
 *   message's `stoppedSpeakingAt` (the state change fires a VAD silence later), the agent's from the
 *   assistant message's `startedSpeakingAt`/`stoppedSpeakingAt` (never later than the live state change;
 *   the Conversation keeps the earliest agent start), so turn latency equals LiveKit's `e2eLatency`;
 * - STT: interim transcripts live; the final ones of a user turn become one `stt.final` when the
 *   next user turn starts (or at close), with LiveKit's `transcriptionDelay` as its latency and the
 *   STT usage reported during the turn (STT metrics carry no speech id: they are attributed by time);
 * - LLM and TTS from `metrics_collected`, tools from `function_tools_executed`, errors from `error`;
 * - barge-ins: the caller starting to speak over the agent is held back until LiveKit judges it. A
 *   transcript, a committed user turn, an interrupted reply or an `overlapping_speech` interruption
 *   make it a barge-in (recorded at its own time); `agent_false_interruption` or an
 *   `overlapping_speech` backchannel drop it, with the agent's pause and resume, so it counts as no
 *   interruption and opens no turn;
 * - usage totals from `session_usage_updated` and `interruption_metrics`, on the conversation.
 */
import {
  type ConversationHandle,
  checkFactoryArguments,
  describeError,
  type DiagnosticHandler,
  type EndOptions,
  type EventAttributes,
  type VoiceEvent,
  type Voxtrace,
} from '@voxtrace/core';
import { defined, LK, named } from './attributes.js';
import { errorEvent, outcomeOf, transcriptionTimeoutEvent } from './errors.js';
import {
  type AgentFalseInterruptionEvent,
  type AgentSession,
  type AgentStateChangedEvent,
  type ChatMessage,
  type CloseEvent,
  type ConversationItemAddedEvent,
  type EotPredictionEvent,
  type ErrorEvent,
  EVENT,
  type FunctionToolsExecutedEvent,
  type JobContextLike,
  type MetricsCollectedEvent,
  type OverlappingSpeechEvent,
  type SessionUsageUpdatedEvent,
  type SpeechCreatedEvent,
  type SpeechHandle,
  type STTMetrics,
  type UserInputTranscribedEvent,
  type UserStateChangedEvent,
  type UserTranscriptionTimeoutEvent,
} from './livekit.js';
import {
  agentSpeechEvents,
  type SpeechInfo,
  timingFromEou,
  timingFromMessage,
  type UserTurnTiming,
  userTurnEndEvents,
} from './messages.js';
import { llmEvents, realtimeEvents, ttsEvents } from './metrics.js';
import { toolEvents } from './tools.js';
import { TtsDeduper } from './tts-dedupe.js';
import { InterruptionTotals, sessionUsageAttributes } from './usage.js';

/** Options of {@link instrumentAgentSession}. */
export interface InstrumentOptions {
  /** Conversation id. Default: the room sid of `jobContext`, else its job id, else a new `conv-{uuid}`. */
  conversationId?: string;
  /** The job's context (`ctx` of your entry function): names the conversation and adds room/job attributes. */
  jobContext?: JobContextLike;
  /** Extra attributes on the `conversation` span. */
  attributes?: EventAttributes;
  /** Epoch ms. Default now. */
  startedAt?: number;
  /**
   * Called when the session closes, before the conversation ends: return an outcome (e.g.
   * `transferred`), `taskCompleted` or attributes to override or add to the defaults. Must not throw.
   */
  onClose?: (event: CloseEvent) => Pick<EndOptions, 'outcome' | 'taskCompleted' | 'attributes'> | undefined;
  /** Adapter problems (code `adapter_error`): a handler of ours that failed. Must not throw. */
  onDiagnostic?: DiagnosticHandler;
}

/** What {@link instrumentAgentSession} returns. */
export interface InstrumentedSession {
  /** The voxtrace conversation the session's events go to. */
  readonly conversation: ConversationHandle;
  /**
   * Stops translating: records what was held back and removes every listener. The conversation stays
   * open (end it yourself); on `close` this happens automatically, after the conversation ended.
   */
  detach(): void;
}

/**
 * Instruments a LiveKit Agents `AgentSession`: one voxtrace conversation per session, ended on
 * `close`. Call it before `session.start()` to see the whole call.
 *
 * ```ts
 * const { conversation } = instrumentAgentSession(session, vt, { jobContext: ctx });
 * await session.start({ agent, room: ctx.room });
 * ```
 */
export function instrumentAgentSession<UserData>(
  session: AgentSession<UserData>,
  vt: Voxtrace,
  options: InstrumentOptions = {},
): InstrumentedSession {
  checkFactoryArguments('instrumentAgentSession', vt, options);
  const emitter = session as unknown as Partial<Emitter> | null;
  if (typeof emitter?.on !== 'function' || typeof emitter.off !== 'function')
    throw new TypeError('instrumentAgentSession: the session must be a LiveKit AgentSession');
  const job = options.jobContext?.job;
  const conversation = vt.startConversation({
    id: options.conversationId ?? (job?.room?.sid || job?.id || undefined),
    platform: 'livekit',
    startedAt: options.startedAt,
    attributes: {
      ...defined({
        [LK.roomSid]: job?.room?.sid,
        [LK.roomName]: job?.room?.name,
        [LK.jobId]: job?.id,
        [LK.agentName]: job?.agentName,
      }),
      ...options.attributes,
    },
  });
  const translator = new SessionTranslator(session as unknown as Emitter, vt, conversation, options);
  return { conversation, detach: () => translator.detach() };
}

/** The session as an event emitter; each handler below is typed with its event's payload. */
interface Emitter {
  on(event: string, listener: (ev: never) => void): unknown;
  off(event: string, listener: (ev: never) => void): unknown;
}

/** Final transcripts kept per user turn; more are joined into the last. */
const MAX_FINALS = 64;
/** Speeches tracked at once (LiveKit queues a few); beyond it the oldest is let go. */
const MAX_SPEECHES = 64;
/** Events held back behind an unjudged barge-in; beyond it the barge-in is taken as real. */
const MAX_HELD = 64;

/** The caller started speaking over the agent, and LiveKit has not said yet whether that interrupts. */
interface PendingBargeIn {
  /** When the caller started speaking (epoch ms). */
  at: number;
  /** The agent's speech is still open: a barge-in if real (false after the reply ended uninterrupted). */
  overAgent: boolean;
  /** Handlers of the events that came meanwhile, in order; `agent` for the agent's state changes. */
  held: { agent: boolean; run: () => void }[];
}

interface FinalTranscript {
  transcript: string;
  at: number;
  language: string | null;
}

/** The user turn's speech-to-text, recorded when the next user turn starts (or at close). */
interface PendingStt {
  finals: FinalTranscript[];
  /** How many of `finals` a committed user message covers. */
  committed: number;
  timing?: UserTurnTiming;
  confidence?: number;
}

interface Speech extends SpeechInfo {
  handle: SpeechHandle;
  onDone: () => void;
}

class SessionTranslator {
  private readonly listeners: [string, (ev: never) => void][];
  private readonly tts: TtsDeduper;
  private readonly speeches = new Map<string, Speech>();
  private detached = false;
  /** A `user.speech.started` was recorded and the agent has not spoken since. */
  private userTurnOpen = false;
  /** A user message was committed and the agent has not answered yet. */
  private awaitingAnswer = false;
  private answeredUserTurns = 0;
  /** The current agent speech's end was recorded (from its message, or the state change). */
  private agentEndRecorded = true;
  private liveAgentStartAt: number | null = null;
  private stt: PendingStt = { finals: [], committed: 0 };
  private sttUsage = {
    audioMs: 0,
    provider: undefined as string | undefined,
    model: undefined as string | undefined,
  };
  /** `eou_metrics` not yet matched by its user message (realtime models commit none). */
  private pendingEou: UserTurnTiming | null = null;
  private lastUserEndAt: number | null = null;
  private eot: EventAttributes = {};
  /** LiveKit's agent state says speaking (live, whatever is held back). */
  private agentSpeaking = false;
  private bargeIn: PendingBargeIn | null = null;
  private readonly notInterruptions = { false: 0, resumed: 0, backchannels: 0 };
  private readonly interruptionTotals = new InterruptionTotals();

  constructor(
    private readonly session: Emitter,
    private readonly vt: Voxtrace,
    private readonly conversation: ConversationHandle,
    private readonly options: InstrumentOptions,
  ) {
    this.tts = new TtsDeduper((m) => this.record(ttsEvents(m)));
    const on = <T>(name: string, fn: (ev: T) => void): [string, (ev: never) => void] => [
      name,
      this.guarded(fn),
    ];
    this.listeners = [
      on<UserStateChangedEvent>(EVENT.userStateChanged, (ev) => this.userState(ev)),
      on<AgentStateChangedEvent>(EVENT.agentStateChanged, (ev) => this.agentState(ev)),
      on<UserInputTranscribedEvent>(EVENT.userInputTranscribed, (ev) => this.transcribed(ev)),
      on<UserTranscriptionTimeoutEvent>(EVENT.userTranscriptionTimeout, (ev) =>
        this.record([transcriptionTimeoutEvent(ev)]),
      ),
      on<ConversationItemAddedEvent>(EVENT.conversationItemAdded, (ev) => this.itemAdded(ev)),
      on<FunctionToolsExecutedEvent>(EVENT.functionToolsExecuted, (ev) => this.toolsExecuted(ev)),
      on<MetricsCollectedEvent>(EVENT.metricsCollected, (ev) => this.metrics(ev)),
      on<SpeechCreatedEvent>(EVENT.speechCreated, (ev) => this.speechCreated(ev)),
      on<EotPredictionEvent>(EVENT.eotPrediction, (ev) => this.eotPrediction(ev)),
      on<AgentFalseInterruptionEvent>(EVENT.agentFalseInterruption, (ev) => this.falseInterruption(ev)),
      on<OverlappingSpeechEvent>(EVENT.overlappingSpeech, (ev) => this.overlappingSpeech(ev)),
      on<SessionUsageUpdatedEvent>(EVENT.sessionUsageUpdated, (ev) =>
        this.conversation.setAttributes(sessionUsageAttributes(ev)),
      ),
      on<ErrorEvent>(EVENT.error, (ev) => this.record([errorEvent(ev)])),
      on<CloseEvent>(EVENT.close, (ev) => this.close(ev)),
    ];
    for (const [name, fn] of this.listeners) session.on(name, fn);
  }

  detach(): void {
    if (this.detached) return;
    this.guard(() => this.flush());
    this.detached = true;
    for (const [name, fn] of this.listeners) this.session.off(name, fn);
    for (const s of this.speeches.values()) this.guard(() => s.handle.removeDoneCallback(s.onDone));
    this.speeches.clear();
  }

  // -- handlers ------------------------------------------------------------------------------

  private userState(ev: UserStateChangedEvent): void {
    this.settleEou();
    if (ev.newState !== 'speaking') return;
    if (this.bargeIn?.overAgent) return; // more of the same barge-in
    // Speech over a reply that then ended uninterrupted, which LiveKit never made a turn of: noise.
    this.bargeIn = null;
    if (this.agentSpeaking) this.bargeIn = { at: ev.createdAt, overAgent: true, held: [] };
    else this.userSpeechStarted(ev.createdAt);
  }

  private agentState(ev: AgentStateChangedEvent): void {
    this.settleEou();
    this.agentSpeaking = ev.newState === 'speaking';
    if (this.hold(true, () => this.agentStateNow(ev))) return;
    this.agentStateNow(ev);
  }

  private agentStateNow(ev: AgentStateChangedEvent): void {
    if (ev.newState === 'speaking') {
      this.agentStarted();
      this.agentEndRecorded = false;
      this.liveAgentStartAt = ev.createdAt;
      this.record([{ type: 'agent.speech.started', at: ev.createdAt }]);
    } else if (ev.oldState === 'speaking' && !this.agentEndRecorded) {
      this.agentEndRecorded = true;
      this.record([{ type: 'agent.speech.ended', at: ev.createdAt }]);
    }
  }

  private transcribed(ev: UserInputTranscribedEvent): void {
    this.settleEou();
    const transcript = ev.transcript.trim();
    if (!transcript) return;
    // An interim transcript waits with the barge-in (LiveKit judges on finals); a final one makes it real.
    if (!ev.isFinal && this.hold(false, () => this.transcribedNow(ev, transcript))) return;
    this.confirmBargeIn();
    this.transcribedNow(ev, transcript);
  }

  private transcribedNow(ev: UserInputTranscribedEvent, transcript: string): void {
    this.ensureUserTurn(ev.createdAt);
    if (!ev.isFinal) {
      this.record([
        {
          type: 'stt.partial',
          at: ev.createdAt,
          transcript,
          attributes: defined({ [LK.language]: ev.language }),
        },
      ]);
    } else if (this.stt.finals.length < MAX_FINALS) {
      this.stt.finals.push({ transcript, at: ev.createdAt, language: ev.language });
    } else {
      const last = this.stt.finals[this.stt.finals.length - 1]!;
      last.transcript = `${last.transcript} ${transcript}`;
      last.at = ev.createdAt;
    }
  }

  private itemAdded(ev: ConversationItemAddedEvent): void {
    const item = ev.item;
    if (item.type === 'agent_handoff') {
      this.conversation.setAttributes({ [LK.agentId]: item.newAgentId });
    } else if (item.role === 'user') {
      this.confirmBargeIn();
      this.userMessage(item);
    } else if (item.role === 'assistant') {
      this.settleEou();
      if (item.interrupted) this.confirmBargeIn();
      else this.replyUninterrupted();
      this.assistantMessage(item);
    }
  }

  private userMessage(message: ChatMessage): void {
    const eou = this.pendingEou;
    this.pendingEou = null;
    const timing = timingFromMessage(message, eou?.speechId) ?? eou ?? undefined;
    const transcribed = this.stt.finals.length > this.stt.committed;
    if (!timing && !transcribed && !this.userTurnOpen) {
      // Typed input (`session.run`, text streams): a user turn without speech timing.
      this.userSpeechStarted(message.createdAt, { [LK.inputModality]: 'text' });
    }
    if (transcribed) {
      this.stt.committed = this.stt.finals.length;
      this.stt.timing = timing ?? this.stt.timing;
      this.stt.confidence = message.transcriptConfidence ?? this.stt.confidence;
    }
    if (timing) this.userTurnEnded(timing);
    this.awaitingAnswer = true;
  }

  private assistantMessage(message: ChatMessage): void {
    const speech = agentSpeechEvents(message, this.speechOf(message));
    if (!speech) return;
    this.agentStarted();
    // The live start usually has the same millisecond; the Conversation keeps the earliest start.
    if (speech.started.at !== this.liveAgentStartAt) this.record([speech.started]);
    this.agentEndRecorded = true;
    this.record([speech.ended]);
  }

  private metrics(ev: MetricsCollectedEvent): void {
    const m = ev.metrics;
    if (m.type === 'eou_metrics') {
      // LiveKit committed a user turn and answers it: a held barge-in was real.
      this.confirmBargeIn();
      this.settleEou();
      this.pendingEou = timingFromEou(m) ?? null;
      return;
    }
    if (m.type === 'stt_metrics') return this.sttMetrics(m);
    if (m.type === 'interruption_metrics') {
      this.conversation.setAttributes(this.interruptionTotals.add(m));
      return;
    }
    this.settleEou();
    if (m.type === 'llm_metrics') this.record(llmEvents(m));
    else if (m.type === 'realtime_model_metrics') this.record(realtimeEvents(m));
    else if (m.type === 'tts_metrics') this.tts.add(m);
  }

  /**
   * LiveKit paused the agent for the caller's speech, heard no words, and calls it a false
   * interruption: no barge-in, no turn. Resumed, the agent's speech goes on as one (its pause and
   * resume are dropped); not resumed, it ended at the pause.
   */
  private falseInterruption(ev: AgentFalseInterruptionEvent): void {
    this.notInterruptions.false++;
    if (ev.resumed) this.notInterruptions.resumed++;
    this.conversation.setAttributes({
      [LK.falseInterruptions]: this.notInterruptions.false,
      [LK.falseInterruptionsResumed]: this.notInterruptions.resumed,
    });
    this.dropBargeIn(!ev.resumed);
  }

  /** The adaptive interruption detector's verdict; "backchannel" (not when the agent merely ended) drops the barge-in. */
  private overlappingSpeech(ev: OverlappingSpeechEvent): void {
    if (ev.isInterruption) return this.confirmBargeIn();
    if (ev.agentEnded || !this.bargeIn) return; // inconclusive, or nothing held
    this.notInterruptions.backchannels++;
    this.conversation.setAttributes({ [LK.backchannels]: this.notInterruptions.backchannels });
    this.dropBargeIn(true);
  }

  /** STT usage has no speech id: it goes to the user turn in progress (see `flushStt`). */
  private sttMetrics(m: STTMetrics): void {
    this.sttUsage.audioMs += Math.max(0, m.audioDurationMs || 0);
    this.sttUsage.provider = named(m.metadata?.modelProvider) ?? this.sttUsage.provider;
    this.sttUsage.model = named(m.metadata?.modelName) ?? this.sttUsage.model;
  }

  // -- barge-ins -------------------------------------------------------------------------------

  /** Holds an event's handler behind an unjudged barge-in; false when there is none (run it now). */
  private hold(agent: boolean, run: () => void): boolean {
    const b = this.bargeIn;
    if (!b || (agent && !b.overAgent)) return false;
    if (b.held.length >= MAX_HELD) {
      this.confirmBargeIn();
      return false;
    }
    b.held.push({ agent, run });
    return true;
  }

  /** The held barge-in was real: the caller's speech starts a turn at its own time, then what was held. */
  private confirmBargeIn(): void {
    const b = this.bargeIn;
    if (!b) return;
    this.bargeIn = null;
    this.userSpeechStarted(b.at);
    for (const h of b.held) h.run();
  }

  /** Not a barge-in: the caller's speech is forgotten; the agent's held state changes replay if `replayAgent`. */
  private dropBargeIn(replayAgent: boolean): void {
    const b = this.bargeIn;
    if (!b) return;
    this.bargeIn = null;
    if (replayAgent) for (const h of b.held) if (h.agent) h.run();
  }

  /**
   * The agent's reply ended without being interrupted while the caller was speaking over it: what
   * was held of the agent happens now, and the caller's speech, if LiveKit takes it as a turn later
   * (a transcript, a user message), starts that turn after the reply: no interruption.
   */
  private replyUninterrupted(): void {
    const b = this.bargeIn;
    if (!b?.overAgent) return;
    b.overAgent = false;
    const agent = b.held.filter((h) => h.agent);
    b.held = b.held.filter((h) => !h.agent);
    for (const h of agent) h.run();
  }

  private toolsExecuted(ev: FunctionToolsExecutedEvent): void {
    this.settleEou();
    this.record(toolEvents(ev));
  }

  private speechCreated(ev: SpeechCreatedEvent): void {
    const handle = ev.speechHandle;
    if (this.speeches.has(handle.id)) return;
    if (this.speeches.size >= MAX_SPEECHES) this.speechDone(this.speeches.keys().next().value!);
    const onDone = () => this.guard(() => this.speechDone(handle.id));
    this.speeches.set(handle.id, { id: handle.id, source: ev.source, handle, onDone });
    handle.addDoneCallback(onDone);
  }

  private eotPrediction(ev: EotPredictionEvent): void {
    this.eot = defined({
      [LK.eotProbability]: ev.probability,
      [LK.eotThreshold]: ev.threshold,
      [LK.eotInferenceMs]: ev.inferenceDurationMs,
    });
  }

  private close(ev: CloseEvent): void {
    this.flush();
    let custom: ReturnType<NonNullable<InstrumentOptions['onClose']>>;
    try {
      custom = this.options.onClose?.(ev);
    } catch (err) {
      this.diagnose(`onClose threw: ${describeError(err)}`, err);
    }
    this.conversation.end({
      outcome: custom?.outcome ?? outcomeOf(ev, this.answeredUserTurns),
      taskCompleted: custom?.taskCompleted,
      endedAt: ev.createdAt,
      attributes: {
        [LK.closeReason]: String(ev.reason),
        [LK.ttsMetricsDeduplicated]: this.tts.dropped,
        ...custom?.attributes,
      },
    });
    this.detach();
  }

  // -- bookkeeping ---------------------------------------------------------------------------

  /** The agent answers: the user's part of the turn is over. */
  private agentStarted(): void {
    this.userTurnOpen = false;
    if (this.awaitingAnswer) {
      this.awaitingAnswer = false;
      this.answeredUserTurns++;
    }
  }

  /**
   * User speech starts. After the agent answered it is a new turn, so the previous turn's STT goes out
   * first; in a turn not answered yet it is more of the same turn, and its transcripts add up.
   */
  private userSpeechStarted(at: number, attributes?: EventAttributes): void {
    if (!this.userTurnOpen) this.flushStt();
    this.record([{ type: 'user.speech.started', at, attributes }]);
    this.userTurnOpen = true;
  }

  private ensureUserTurn(at: number): void {
    if (!this.userTurnOpen) this.userSpeechStarted(at);
  }

  private userTurnEnded(timing: UserTurnTiming): void {
    if (timing.stoppedAt === this.lastUserEndAt) return;
    this.lastUserEndAt = timing.stoppedAt;
    this.ensureUserTurn(timing.stoppedAt);
    this.record(userTurnEndEvents(timing, this.eot));
    this.eot = {};
  }

  /** An `eou_metrics` whose user message never came (realtime models): its timing is all there is. */
  private settleEou(): void {
    const eou = this.pendingEou;
    if (!eou) return;
    this.pendingEou = null;
    this.userTurnEnded(eou);
  }

  /**
   * The user turn's final transcripts as one `stt.final`, with LiveKit's transcription delay as its
   * latency and the STT usage reported since the previous one: STT metrics carry no speech id, so
   * usage goes to the turn in progress when it is reported.
   */
  private flushStt(): void {
    const { finals, timing, confidence } = this.stt;
    this.stt = { finals: [], committed: 0 };
    if (!finals.length) return;
    const last = finals[finals.length - 1]!;
    const event: VoiceEvent = {
      type: 'stt.final',
      at: last.at,
      transcript: finals.map((f) => f.transcript).join(' '),
      latencyMs: timing?.transcriptionDelayMs,
      confidence: confidence !== undefined && confidence >= 0 && confidence <= 1 ? confidence : undefined,
      audioDurationMs: this.sttUsage.audioMs || undefined,
      provider: this.sttUsage.provider,
      model: this.sttUsage.model,
      attributes: defined({ [LK.language]: last.language }),
    };
    this.sttUsage.audioMs = 0;
    this.record([event]);
  }

  private speechOf(message: ChatMessage): SpeechInfo | undefined {
    for (const s of this.speeches.values()) {
      if (s.handle.chatItems.some((item) => item.id === message.id)) return { id: s.id, source: s.source };
    }
    return undefined;
  }

  private speechDone(id: string): void {
    const s = this.speeches.get(id);
    if (s) {
      this.speeches.delete(id);
      s.handle.removeDoneCallback(s.onDone);
    }
    this.tts.endSpeech(id);
  }

  /**
   * Records everything held back. Speech over the agent that LiveKit never judged is recorded as it
   * happened; speech over a reply that ended uninterrupted, never taken as a turn, is dropped.
   */
  private flush(): void {
    if (this.bargeIn?.overAgent) this.confirmBargeIn();
    this.bargeIn = null;
    this.settleEou();
    this.flushStt();
    this.tts.flush();
  }

  private record(events: VoiceEvent[]): void {
    if (this.detached) return;
    for (const e of events) this.conversation.record(e);
  }

  private guarded<T>(fn: (ev: T) => void): (ev: T) => void {
    return (ev) => this.guard(() => fn(ev));
  }

  /** A failure of ours must never reach LiveKit's event loop. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.diagnose(`livekit adapter failed: ${describeError(err)}`, err);
    }
  }

  private diagnose(message: string, detail: unknown): void {
    const d = { code: 'adapter_error' as const, message, conversationId: this.conversation.id, detail };
    this.vt.diagnose(d);
    try {
      this.options.onDiagnostic?.(d);
    } catch {
      // A diagnostic handler must not break the agent either.
    }
  }
}

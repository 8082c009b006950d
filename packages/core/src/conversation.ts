/**
 * `Conversation`: a pure state machine from `VoiceEvent`s to `TurnRecord`s and a
 * `ConversationRecord`. No I/O, no timers: the clock is an option, time comes from events.
 *
 * Real streams are messy, so events are routed rather than trusted to arrive in order:
 * - an end (`llm.ended`, `tts.ended`, `tool.ended`, `agent.speech.ended`) goes to the turn that has
 *   the matching open start, even if a newer turn has opened (a barge-in's `agent.speech.ended`);
 * - other events go to the turn whose time range holds their `at`;
 * - a closed turn stays open to late events for `lateGraceMs` of event time, then is finalized;
 * - exact duplicates (same type, time and key) are dropped, invalid events are counted.
 */
import { type Diagnostic, type DiagnosticHandler, describeError } from './diagnostics.js';
import {
  type EventAttributes,
  isExactVoiceEvent,
  parseVoiceEvent,
  type VoiceEvent,
  type VoiceEventOf,
} from './events.js';
import type {
  Bottleneck,
  ComponentCall,
  ConversationRecord,
  EndReason,
  EventStats,
  LatencyComponent,
  LlmCall,
  Outcome,
  SttResult,
  ToolCall,
  TtsCall,
  TurnError,
  TurnRecord,
} from './records.js';
import { BOTTLENECK_SHARE } from './thresholds.js';

/** Options of a {@link Conversation}. */
export interface ConversationOptions {
  id: string;
  /** `livekit`, `pipecat`, `vapi`, `retell`, `custom`… */
  platform?: string;
  /** Epoch ms; defaults to now. */
  startedAt?: number;
  traceId?: string | null;
  attributes?: EventAttributes;
  /** Injectable clock (epoch ms) for events without `at`. */
  now?: () => number;
  /** Share of a turn's latency at which a component is flagged as the bottleneck. */
  bottleneckShare?: number;
  /** How long (event time) a closed turn still accepts late events. Default 3000 ms. */
  lateGraceMs?: number;
  /** Turns kept in the final record; older ones are still delivered to `onTurn`. Default 1000. */
  maxTurns?: number;
  /**
   * When the caller speaking again continues the current turn instead of opening a new one:
   * - `until_agent_audio` (default): while the caller opened the turn and the agent has produced no
   *   audio (no speech, no synthesized TTS audio); a greeting turn ends when the caller speaks;
   * - `until_agent_speech`: while the agent has not started speaking, whoever opened the turn, as
   *   Pipecat's `TurnTrackingObserver` counts turns.
   */
  turnContinuation?: 'until_agent_audio' | 'until_agent_speech';
  /** Skip validation for events already validated upstream. Default true (validate). */
  validate?: boolean;
  /** Each validated event, before it is applied. */
  onEvent?: (event: VoiceEvent, at: number) => void;
  onTurn?: (turn: TurnRecord) => void;
  onDiagnostic?: DiagnosticHandler;
}

/** Options of {@link Conversation.end}. */
export interface EndOptions {
  outcome?: Outcome;
  taskCompleted?: boolean | null;
  /** Epoch ms; defaults to the later of now and the last event. */
  endedAt?: number;
  attributes?: EventAttributes;
}

interface TurnState {
  index: number;
  initiator: 'user' | 'agent';
  startedAt: number;
  closedAt: number | null;
  lastAt: number;
  userSpeechStartedAt: number | null;
  userSpeechEndedAt: number | null;
  agentSpeechStartedAt: number | null;
  agentSpeechEndedAt: number | null;
  stt: SttResult | null;
  /** The platform said the STT latency is unknown: do not derive it. */
  sttLatencyUnknown: boolean;
  detection: { at: number; delayMs: number | null; attributes: EventAttributes } | null;
  llm: LlmCall[];
  tools: ToolCall[];
  tts: TtsCall[];
  interrupted: boolean;
  errors: TurnError[];
  attributes: EventAttributes;
}

const DEDUPE_WINDOW = 32;

/** See the module comment. */
export class Conversation {
  readonly id: string;
  readonly platform: string;
  readonly startedAt: number;
  readonly traceId: string | null;
  private readonly now: () => number;
  private readonly opts: ConversationOptions;
  private readonly attributes: EventAttributes;
  private current: TurnState | null = null;
  private previous: TurnState | null = null;
  private turnCount = 0;
  private readonly turns: TurnRecord[] = [];
  private readonly errors: TurnError[] = [];
  private interruptions = 0;
  private lastAt: number;
  /** The last events' identities (type, time, key), for {@link isDuplicate}: a ring, not the events. */
  private readonly recent = new RecentEvents();
  private record_: ConversationRecord | null = null;
  private readonly counts: EventStats = { events: 0, invalid: 0, duplicates: 0, late: 0 };

  constructor(options: ConversationOptions) {
    this.opts = options;
    this.id = options.id;
    this.platform = options.platform ?? 'custom';
    this.now = options.now ?? Date.now;
    this.startedAt = options.startedAt ?? this.now();
    this.traceId = options.traceId ?? null;
    this.attributes = { ...options.attributes };
    this.lastAt = this.startedAt;
  }

  /** Whether {@link end} was called. */
  get ended(): boolean {
    return this.record_ !== null;
  }

  /** Latest event time seen (epoch ms). */
  get lastEventAt(): number {
    return this.lastAt;
  }

  /** Counts of received, invalid, duplicate and late events. */
  get stats(): Readonly<EventStats> {
    return this.counts;
  }

  /** Adds attributes to the conversation (they appear on the `conversation` span). */
  setAttributes(attributes: EventAttributes): void {
    Object.assign(this.attributes, attributes);
  }

  /**
   * Records one event. Never throws: an invalid event is counted and reported through
   * `onDiagnostic`, and the rest of the call is unaffected.
   */
  record(input: VoiceEvent | unknown): void {
    if (this.record_) {
      this.diagnose({ code: 'after_end', message: 'event after the conversation ended', detail: input });
      return;
    }
    let event: VoiceEvent | undefined;
    let error: string | null = null;
    try {
      if (this.opts.validate === false || isExactVoiceEvent(input)) {
        event = input as VoiceEvent;
      } else {
        const parsed = parseVoiceEvent(input);
        if (parsed.ok) event = parsed.event;
        else error = parsed.error;
      }
    } catch (err) {
      // A proxy or a getter that throws while the event is read.
      error = `unreadable: ${describeError(err)}`;
    }
    if (error !== null || event === undefined) {
      this.counts.invalid++;
      this.diagnose({ code: 'invalid_event', message: `invalid event: ${error}`, detail: input });
      return;
    }
    this.counts.events++;
    if (this.isDuplicate(event)) {
      this.counts.duplicates++;
      this.diagnose({ code: 'duplicate_event', message: `duplicate ${event.type}`, detail: event });
      return;
    }
    const at = event.at ?? this.now();
    if (at > this.lastAt) this.lastAt = at;
    if (this.opts.onEvent) {
      try {
        this.opts.onEvent(event, at);
      } catch (err) {
        this.diagnose({ code: 'sink_error', message: `onEvent threw: ${describeError(err)}`, detail: err });
      }
    }
    this.apply(event, at);
    this.finalizeExpired();
  }

  /** Finalizes a closed turn whose late-event grace has passed by `now` (epoch ms). */
  tick(now: number = this.now()): void {
    if (this.previous && now - (this.previous.closedAt ?? now) >= this.grace()) this.finalizePrevious();
  }

  /** Ends the conversation: finalizes every turn and returns the record. Idempotent. */
  end(options: EndOptions = {}, reason: EndReason = 'ended'): ConversationRecord {
    if (this.record_) return this.record_;
    const endedAt = Math.max(options.endedAt ?? Math.max(this.now(), this.lastAt), this.startedAt);
    this.finalizePrevious();
    if (this.current) {
      this.close(this.current, Math.max(endedAt, this.current.lastAt));
      this.finalize(this.current);
      this.current = null;
    }
    if (options.attributes) Object.assign(this.attributes, options.attributes);
    const fatal = [...this.errors, ...this.turns.flatMap((t) => t.errors)].some((e) => !e.recoverable);
    this.record_ = {
      id: this.id,
      platform: this.platform,
      traceId: this.traceId,
      startedAt: this.startedAt,
      endedAt,
      durationMs: endedAt - this.startedAt,
      outcome: options.outcome ?? (reason === 'ended' ? (fatal ? 'error' : 'completed') : 'abandoned'),
      endReason: reason,
      taskCompleted: options.taskCompleted ?? null,
      turns: this.turns,
      turnCount: this.turnCount,
      interruptions: this.interruptions,
      errors: this.errors,
      attributes: this.attributes,
      stats: { ...this.counts },
    };
    return this.record_;
  }

  // ---------------------------------------------------------------------------------------------

  private grace(): number {
    return this.opts.lateGraceMs ?? 3000;
  }

  private diagnose(d: Omit<Diagnostic, 'conversationId'>): void {
    try {
      this.opts.onDiagnostic?.({ ...d, conversationId: this.id });
    } catch {
      // A user callback must not break the pipeline.
    }
  }

  /** Same type, time and key as one of the last few events: a retry or a double emit. */
  private isDuplicate(e: VoiceEvent): boolean {
    if (e.at === undefined) return false;
    const callId = (e as { callId?: string }).callId;
    const transcript = (e as { transcript?: string }).transcript;
    if (this.recent.has(e.type, e.at, callId, transcript)) return true;
    this.recent.add(e.type, e.at, callId, transcript);
    return false;
  }

  private openTurn(at: number, initiator: 'user' | 'agent'): TurnState {
    if (this.current) {
      this.finalizePrevious();
      this.close(this.current, at);
      this.previous = this.current;
    }
    this.turnCount++;
    this.current = {
      index: this.turnCount,
      initiator,
      startedAt: at,
      closedAt: null,
      lastAt: at,
      userSpeechStartedAt: null,
      userSpeechEndedAt: null,
      agentSpeechStartedAt: null,
      agentSpeechEndedAt: null,
      stt: null,
      sttLatencyUnknown: false,
      detection: null,
      llm: [],
      tools: [],
      tts: [],
      interrupted: false,
      errors: [],
      attributes: {},
    };
    return this.current;
  }

  private close(turn: TurnState, at: number): void {
    turn.closedAt = at;
  }

  /** The turn a time-routed event belongs to, opening one when needed. */
  private turnAt(at: number, initiator: 'user' | 'agent'): TurnState | null {
    const cur = this.current;
    if (!cur) return this.openTurn(at, initiator);
    if (at < cur.startedAt) {
      if (this.previous && at >= this.previous.startedAt) return this.previous;
      // The first turn stretches back to an early event; older turns are already finalized.
      if (this.previous || cur.index > 1) return null;
      cur.startedAt = at;
    }
    return cur;
  }

  /** The newest turn (current, then previous) for which `match` holds. */
  private findTurn(match: (t: TurnState) => boolean): TurnState | null {
    if (this.current && match(this.current)) return this.current;
    if (this.previous && match(this.previous)) return this.previous;
    return null;
  }

  private late(e: VoiceEvent): void {
    this.counts.late++;
    this.diagnose({
      code: 'late_event',
      message: `${e.type} arrived after its turn was finalized`,
      detail: e,
    });
  }

  private apply(e: VoiceEvent, at: number): void {
    switch (e.type) {
      case 'user.speech.started': {
        const cur = this.current;
        if (cur && at < cur.startedAt) {
          // The caller's turn started earlier than first seen (a VAD decision arrives after the speech
          // started): move the start back, within the previous turn's range.
          if (cur.userSpeechStartedAt === null || (this.previous && at < this.previous.startedAt)) {
            return this.late(e);
          }
          if (!this.previous && cur.index > 1) return this.late(e);
          cur.startedAt = at;
          cur.userSpeechStartedAt = Math.min(cur.userSpeechStartedAt, at);
          if (this.previous) this.previous.closedAt = at;
          this.touch(cur, at, e.attributes);
          return;
        }
        if (cur && this.continues(cur)) {
          cur.userSpeechStartedAt ??= at;
          cur.userSpeechEndedAt = null;
          this.touch(cur, at, e.attributes);
          return;
        }
        if (cur && cur.agentSpeechStartedAt !== null && cur.agentSpeechEndedAt === null) this.interrupt(cur);
        const turn = this.openTurn(at, 'user');
        turn.userSpeechStartedAt = at;
        this.touch(turn, at, e.attributes);
        return;
      }
      case 'user.speech.ended': {
        const turn = this.turnAt(at, 'user');
        if (!turn) return this.late(e);
        turn.userSpeechEndedAt = Math.max(turn.userSpeechEndedAt ?? at, at);
        this.touch(turn, at, e.attributes);
        return;
      }
      case 'stt.partial':
      case 'stt.final':
        return this.stt(e, at);
      case 'turn.end_detected': {
        const turn = this.turnAt(at, 'user');
        if (!turn) return this.late(e);
        turn.detection = { at, delayMs: e.delayMs ?? null, attributes: { ...e.attributes } };
        this.touch(turn, at);
        return;
      }
      case 'llm.started': {
        const turn = this.turnAt(at, 'agent');
        if (!turn) return this.late(e);
        const orphan = adoptable(turn.llm, at, (c) => c.firstTokenAt ?? c.endedAt);
        if (orphan) {
          orphan.startedAt = at;
          orphan.provider ??= e.provider ?? null;
          orphan.model ??= e.model ?? null;
          orphan.input ??= e.input ?? null;
        } else turn.llm.push(newLlm(at, e));
        this.touch(turn, at);
        return;
      }
      case 'llm.first_token':
      case 'llm.ended':
        return this.llm(e, at);
      case 'tool.started': {
        const turn = this.turnAt(at, 'agent');
        if (!turn) return this.late(e);
        const orphan = this.findTurn((t) =>
          t.tools.some((c) => c.callId === e.callId && c.startedAt === null),
        );
        const ended = orphan?.tools.find((c) => c.callId === e.callId && c.startedAt === null);
        if (ended) {
          ended.startedAt = at;
          ended.arguments = e.arguments;
        } else turn.tools.push(newTool(at, e));
        this.touch(turn, at);
        return;
      }
      case 'tool.ended':
        return this.toolEnded(e, at);
      case 'tts.started': {
        const turn = this.turnAt(at, 'agent');
        if (!turn) return this.late(e);
        const orphan = adoptable(turn.tts, at, (c) => c.firstAudioAt ?? c.endedAt);
        if (orphan) {
          orphan.startedAt = at;
          orphan.text ??= e.text ?? null;
        } else turn.tts.push(newTts(at, e));
        this.touch(turn, at);
        return;
      }
      case 'tts.first_audio':
      case 'tts.ended':
        return this.tts(e, at);
      case 'agent.speech.started': {
        const turn = this.turnAt(at, 'agent');
        if (!turn) return this.late(e);
        // The first agent audio defines the turn's latency; a later segment (after a tool) does not.
        turn.agentSpeechStartedAt = Math.min(turn.agentSpeechStartedAt ?? at, at);
        if (turn.agentSpeechEndedAt !== null && turn.agentSpeechEndedAt < at) turn.agentSpeechEndedAt = null;
        this.touch(turn, at, e.attributes);
        return;
      }
      case 'agent.speech.ended': {
        const turn =
          this.findTurn((t) => t.agentSpeechStartedAt !== null && t.agentSpeechEndedAt === null) ??
          this.turnAt(at, 'agent');
        if (!turn) return this.late(e);
        turn.agentSpeechEndedAt = at;
        if (e.interrupted) this.interrupt(turn);
        this.touch(turn, at, e.attributes);
        return;
      }
      case 'user.interrupted': {
        const turn = this.findTurn((t) => t.agentSpeechStartedAt !== null) ?? this.turnAt(at, 'user');
        if (!turn) return this.late(e);
        this.interrupt(turn);
        this.touch(turn, at, e.attributes);
        return;
      }
      case 'error': {
        const err: TurnError = { layer: e.layer, message: e.message, recoverable: e.recoverable ?? true, at };
        const turn = this.current ? this.turnAt(at, 'agent') : null;
        if (turn) {
          turn.errors.push(err);
          this.touch(turn, at, e.attributes);
        } else this.errors.push(err);
        return;
      }
    }
  }

  /** Whether the caller speaking again continues `turn` (see `ConversationOptions.turnContinuation`). */
  private continues(turn: TurnState): boolean {
    if (this.opts.turnContinuation === 'until_agent_speech') return turn.agentSpeechStartedAt === null;
    return (
      turn.initiator === 'user' &&
      turn.agentSpeechStartedAt === null &&
      !turn.tts.some((c) => c.firstAudioAt !== null || c.endedAt !== null)
    );
  }

  private touch(turn: TurnState, at: number, attributes?: EventAttributes): void {
    if (at > turn.lastAt) turn.lastAt = at;
    if (attributes) Object.assign(turn.attributes, attributes);
  }

  private interrupt(turn: TurnState): void {
    if (turn.interrupted) return;
    turn.interrupted = true;
    this.interruptions++;
  }

  private stt(e: VoiceEventOf<'stt.partial' | 'stt.final'>, at: number): void {
    const turn = this.turnAt(at, 'user');
    if (!turn) return this.late(e);
    turn.stt ??= {
      startedAt: null,
      endedAt: at,
      latencyMs: null,
      transcript: '',
      confidence: null,
      provider: null,
      model: null,
      audioDurationMs: null,
      finals: 0,
      partials: 0,
      attributes: {},
    };
    const s = turn.stt;
    s.provider = e.provider ?? s.provider;
    s.model = e.model ?? s.model;
    if (e.attributes) Object.assign(s.attributes, e.attributes);
    if (e.type === 'stt.partial') {
      s.partials++;
    } else {
      s.finals++;
      s.transcript = s.transcript ? `${s.transcript} ${e.transcript}` : e.transcript;
      s.endedAt = Math.max(s.finals > 1 ? s.endedAt : at, at);
      s.confidence = e.confidence ?? s.confidence;
      s.audioDurationMs =
        e.audioDurationMs === undefined ? s.audioDurationMs : (s.audioDurationMs ?? 0) + e.audioDurationMs;
      if (e.latencyMs !== undefined) s.latencyMs = e.latencyMs;
      if (e.latencyMs === null) turn.sttLatencyUnknown = true;
    }
    this.touch(turn, at);
  }

  /**
   * The open call `e` continues: in the newest turn that has one (an end can arrive after the next
   * turn opened), else a new call with an unknown start in the turn its time falls in.
   */
  private openCall<C extends ComponentCall>(
    e: VoiceEvent,
    at: number,
    calls: (t: TurnState) => C[],
    open: (c: C) => boolean,
    orphan: () => C,
  ): { turn: TurnState; call: C } | null {
    const turn = this.findTurn((t) => calls(t).some(open));
    const call = turn && calls(turn).find(open);
    if (turn && call) return { turn, call };
    const target = this.turnAt(at, 'agent');
    if (!target) {
      this.late(e);
      return null;
    }
    this.diagnose({ code: 'missing_start', message: `${e.type} without its start`, detail: e });
    const created = orphan();
    calls(target).push(created);
    return { turn: target, call: created };
  }

  /** Closes a call: end time, cancellation, and the error of its layer. */
  private endCall(
    turn: TurnState,
    call: ComponentCall,
    layer: 'llm' | 'tool' | 'tts',
    e: { error?: string | true; cancelled?: boolean },
    at: number,
  ): void {
    call.endedAt = at;
    call.cancelled = e.cancelled ?? false;
    if (e.error !== undefined) this.fail(turn, call, layer, e.error, at);
  }

  private llm(e: VoiceEventOf<'llm.first_token' | 'llm.ended'>, at: number): void {
    const found = this.openCall(
      e,
      at,
      (t) => t.llm,
      (c) => c.endedAt === null && (e.type === 'llm.ended' || c.firstTokenAt === null),
      () => newLlm(null, e),
    );
    if (!found) return;
    const { turn, call } = found;
    call.provider = e.provider ?? call.provider;
    call.model = e.model ?? call.model;
    if (e.attributes) Object.assign(call.attributes, e.attributes);
    if (e.type === 'llm.first_token') {
      call.firstTokenAt = at;
    } else {
      call.inputTokens = e.inputTokens ?? call.inputTokens;
      call.outputTokens = e.outputTokens ?? call.outputTokens;
      call.output = e.output ?? call.output;
      this.endCall(turn, call, 'llm', e, at);
    }
    this.touch(turn, at);
  }

  private toolEnded(e: VoiceEventOf<'tool.ended'>, at: number): void {
    const found = this.openCall(
      e,
      at,
      (t) => t.tools,
      (c) => c.callId === e.callId && c.endedAt === null,
      () => newTool(null, e),
    );
    if (!found) return;
    const { turn, call } = found;
    call.result = e.result;
    if (e.attributes) Object.assign(call.attributes, e.attributes);
    this.endCall(turn, call, 'tool', e, at);
    this.touch(turn, at);
  }

  private tts(e: VoiceEventOf<'tts.first_audio' | 'tts.ended'>, at: number): void {
    const found = this.openCall(
      e,
      at,
      (t) => t.tts,
      (c) => c.endedAt === null && (e.type === 'tts.ended' || c.firstAudioAt === null),
      () => newTts(null, e),
    );
    if (!found) return;
    const { turn, call } = found;
    call.provider = e.provider ?? call.provider;
    call.model = e.model ?? call.model;
    call.voice = e.voice ?? call.voice;
    call.characters = e.characters ?? call.characters;
    if (e.attributes) Object.assign(call.attributes, e.attributes);
    if (e.type === 'tts.first_audio') call.firstAudioAt = at;
    else this.endCall(turn, call, 'tts', e, at);
    this.touch(turn, at);
  }

  private fail(
    turn: TurnState,
    call: { error: string | null },
    layer: 'llm' | 'tool' | 'tts',
    error: string | true,
    at: number,
  ): void {
    call.error = error === true ? `${layer} error` : error;
    turn.errors.push({ layer, message: call.error, recoverable: true, at });
  }

  private finalizeExpired(): void {
    if (this.previous && this.lastAt - (this.previous.closedAt ?? this.lastAt) >= this.grace()) {
      this.finalizePrevious();
    }
  }

  private finalizePrevious(): void {
    if (!this.previous) return;
    const p = this.previous;
    this.previous = null;
    this.finalize(p);
  }

  private finalize(t: TurnState): void {
    const endedAt = Math.max(t.closedAt ?? t.lastAt, t.lastAt);
    for (const calls of [t.llm, t.tools, t.tts] as ComponentCall[][]) {
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i]!;
        if (c.endedAt === null) c.unfinished = true;
        c.durationMs = c.startedAt !== null && c.endedAt !== null ? c.endedAt - c.startedAt : null;
      }
    }
    for (const c of t.llm) c.ttftMs = diff(c.startedAt, c.firstTokenAt);
    for (const c of t.tts) c.ttfbMs = diff(c.startedAt, c.firstAudioAt);

    if (t.stt) {
      const s = t.stt;
      if (s.latencyMs === null && !t.sttLatencyUnknown && t.userSpeechEndedAt !== null && s.finals > 0) {
        s.latencyMs = Math.max(0, s.endedAt - t.userSpeechEndedAt);
      }
      s.startedAt = s.latencyMs !== null ? s.endedAt - s.latencyMs : t.userSpeechStartedAt;
    }

    let e2e = diff(t.userSpeechEndedAt, t.agentSpeechStartedAt);
    if (e2e !== null && e2e < 0) {
      this.diagnose({
        code: 'negative_latency',
        message: `turn ${t.index}: agent audio ${-e2e} ms before the end of user speech`,
      });
      e2e = null;
    }
    const breakdown = e2e === null ? null : breakdownOf(t, e2e);
    const record: TurnRecord = {
      conversationId: this.id,
      index: t.index,
      initiator: t.initiator,
      startedAt: t.startedAt,
      endedAt,
      userSpeechStartedAt: t.userSpeechStartedAt,
      userSpeechEndedAt: t.userSpeechEndedAt,
      agentSpeechStartedAt: t.agentSpeechStartedAt,
      agentSpeechEndedAt: t.agentSpeechEndedAt,
      e2eLatencyMs: e2e,
      stt: t.stt,
      turnDetection: t.detection && {
        startedAt: t.detection.delayMs !== null ? t.detection.at - t.detection.delayMs : t.userSpeechEndedAt,
        endedAt: t.detection.at,
        delayMs:
          t.detection.delayMs ??
          (t.userSpeechEndedAt !== null ? Math.max(0, t.detection.at - t.userSpeechEndedAt) : null),
        attributes: t.detection.attributes,
      },
      llm: t.llm,
      tools: t.tools,
      tts: t.tts,
      interrupted: t.interrupted,
      errors: t.errors,
      breakdown,
      bottleneck:
        breakdown && e2e ? bottleneckOf(breakdown, e2e, this.opts.bottleneckShare ?? BOTTLENECK_SHARE) : null,
      attributes: t.attributes,
    };
    if (this.turns.length < (this.opts.maxTurns ?? 1000)) this.turns.push(record);
    try {
      this.opts.onTurn?.(record);
    } catch (err) {
      this.diagnose({ code: 'sink_error', message: `onTurn threw: ${describeError(err)}`, detail: err });
    }
  }
}

/** Replays an array of events through a new {@link Conversation} and returns its record. */
export function replayConversation(
  events: readonly unknown[],
  options: Omit<ConversationOptions, 'onTurn'> & { end?: EndOptions },
): ConversationRecord {
  const c = new Conversation(options);
  for (const e of events) c.record(e);
  // A replay ends at its last event, not at the wall clock.
  return c.end({ endedAt: c.lastEventAt, ...options.end });
}

/**
 * Identities of the last {@link DEDUPE_WINDOW} timed events, in a fixed ring: no allocation per event,
 * and no reference kept to the caller's objects (which it may reuse).
 */
class RecentEvents {
  private readonly types = new Array<string>(DEDUPE_WINDOW);
  private readonly ats = new Float64Array(DEDUPE_WINDOW);
  private readonly callIds = new Array<string | undefined>(DEDUPE_WINDOW);
  private readonly transcripts = new Array<string | undefined>(DEDUPE_WINDOW);
  private size = 0;
  private next = 0;

  has(type: string, at: number, callId: string | undefined, transcript: string | undefined): boolean {
    for (let i = 0; i < this.size; i++) {
      if (
        this.ats[i] === at &&
        this.types[i] === type &&
        this.callIds[i] === callId &&
        this.transcripts[i] === transcript
      )
        return true;
    }
    return false;
  }

  add(type: string, at: number, callId: string | undefined, transcript: string | undefined): void {
    const i = this.next;
    this.types[i] = type;
    this.ats[i] = at;
    this.callIds[i] = callId;
    this.transcripts[i] = transcript;
    this.next = (i + 1) % DEDUPE_WINDOW;
    if (this.size < DEDUPE_WINDOW) this.size++;
  }
}

/** A call whose start arrived after its first token or end (out of order): the start belongs to it. */
function adoptable<C extends { startedAt: number | null }>(
  calls: C[],
  at: number,
  seenAt: (c: C) => number | null,
): C | undefined {
  return calls.find((c) => c.startedAt === null && (seenAt(c) ?? -Infinity) >= at);
}

function diff(from: number | null, to: number | null): number | null {
  return from === null || to === null ? null : to - from;
}

function newTool(at: number | null, e: VoiceEventOf<'tool.started' | 'tool.ended'>): ToolCall {
  return {
    startedAt: at,
    endedAt: null,
    durationMs: null,
    error: null,
    cancelled: false,
    unfinished: false,
    attributes: e.attributes ? { ...e.attributes } : {},
    name: e.name,
    callId: e.callId,
    arguments: e.type === 'tool.started' ? e.arguments : undefined,
    result: undefined,
  };
}

function newLlm(
  at: number | null,
  e: VoiceEventOf<'llm.started' | 'llm.first_token' | 'llm.ended'>,
): LlmCall {
  return {
    startedAt: at,
    endedAt: null,
    durationMs: null,
    error: null,
    cancelled: false,
    unfinished: false,
    attributes: e.attributes ? { ...e.attributes } : {},
    firstTokenAt: null,
    ttftMs: null,
    provider: e.provider ?? null,
    model: e.model ?? null,
    inputTokens: null,
    outputTokens: null,
    input: e.type === 'llm.started' ? (e.input ?? null) : null,
    output: null,
  };
}

function newTts(
  at: number | null,
  e: VoiceEventOf<'tts.started' | 'tts.first_audio' | 'tts.ended'>,
): TtsCall {
  return {
    startedAt: at,
    endedAt: null,
    durationMs: null,
    error: null,
    cancelled: false,
    unfinished: false,
    attributes: e.attributes ? { ...e.attributes } : {},
    firstAudioAt: null,
    ttfbMs: null,
    provider: e.provider ?? null,
    model: e.model ?? null,
    voice: e.voice ?? null,
    characters: e.characters ?? null,
    text: e.type === 'tts.started' ? (e.text ?? null) : null,
  };
}

/** Components of a breakdown, by index in the scratch arrays below. */
const STT = 0;
const DETECTION = 1;
const LLM = 2;
const TOOL = 3;
const TTS = 4;

/**
 * The stages the wait passes through, in order: the end of the caller's turn (STT and end-of-turn
 * detection), the response (LLM calls and their tools), speech (TTS). Indexed by component.
 */
const STAGE_OF = new Uint8Array([0, 0, 1, 1, 2]);
const STAGES = 3;

/**
 * Scratch space of {@link breakdownOf}, reused across turns (it runs synchronously, once per turn):
 * the intervals (start, end, component) and the sorted cut points. Grown when a turn has more calls.
 */
const scratch = {
  from: new Float64Array(16),
  to: new Float64Array(16),
  component: new Uint8Array(16),
  cuts: new Float64Array(34),
  parts: new Float64Array(5),
  measured: [false, false, false],
};

function ensureScratch(intervals: number): void {
  if (scratch.from.length >= intervals) return;
  const n = Math.max(intervals, scratch.from.length * 2);
  scratch.from = new Float64Array(n);
  scratch.to = new Float64Array(n);
  scratch.component = new Uint8Array(n);
  scratch.cuts = new Float64Array(2 * n + 2);
}

/**
 * Splits a turn's latency (end of user speech → first agent audio) along its critical path. Each
 * component is an interval: STT (its latency before the final transcript), end-of-turn detection
 * (its delay), every LLM call before the first audio (the last one up to its first token, earlier
 * ones whole: a tool round-trip), tools, and the first TTS up to its first audio. Every instant of
 * the wait goes to the interval covering it that ends last (the one holding the turn up: STT that
 * finishes under endpointing costs nothing). An instant no interval covers is `other` (network,
 * transport, queueing) only when every stage it lies between was measured, else `unmeasured`: see
 * {@link gapIsMeasured}. The parts add up to the latency exactly.
 */
function breakdownOf(t: TurnState, e2e: number): Record<LatencyComponent, number> {
  const lo = t.userSpeechEndedAt!;
  const hi = t.agentSpeechStartedAt!;
  ensureScratch(3 + t.llm.length + t.tools.length);
  const { from, to, component, cuts, parts, measured } = scratch;
  let n = 0;
  const add = (c: number, start: number | null, end: number | null) => {
    if (start === null || end === null) return;
    const a = Math.max(start, lo);
    const b = Math.min(end, hi);
    if (b > a) {
      from[n] = a;
      to[n] = b;
      component[n] = c;
      n++;
    }
  };
  const sttKnown = t.stt?.latencyMs != null;
  if (sttKnown) add(STT, t.stt!.endedAt - t.stt!.latencyMs!, t.stt!.endedAt);
  if (t.detection)
    add(DETECTION, t.detection.at - (t.detection.delayMs ?? t.detection.at - lo), t.detection.at);
  let lastLlm = -1;
  for (let i = 0; i < t.llm.length; i++) {
    const c = t.llm[i]!;
    if (c.startedAt !== null && c.startedAt < hi) lastLlm = i;
  }
  for (let i = 0; i <= lastLlm; i++) {
    const c = t.llm[i]!;
    if (c.startedAt === null || c.startedAt >= hi) continue;
    add(LLM, c.startedAt, i === lastLlm ? (c.firstTokenAt ?? c.endedAt ?? hi) : (c.endedAt ?? hi));
  }
  for (let i = 0; i < t.tools.length; i++) add(TOOL, t.tools[i]!.startedAt, t.tools[i]!.endedAt ?? hi);
  let ttsKnown = false;
  for (let i = 0; i < t.tts.length; i++) {
    const c = t.tts[i]!;
    if (c.startedAt !== null && c.startedAt < hi) {
      ttsKnown = true;
      add(TTS, c.startedAt, c.firstAudioAt ?? hi);
      break;
    }
  }
  // A stage is measured when the turn reported its timing, even if it falls outside the wait.
  measured[0] = sttKnown && t.detection !== null;
  measured[1] = lastLlm >= 0;
  measured[2] = ttsKnown;

  // Cut points: both ends of the wait and of every interval, sorted (duplicates skipped below).
  let k = 0;
  cuts[k++] = lo;
  cuts[k++] = hi;
  for (let i = 0; i < n; i++) {
    cuts[k++] = from[i]!;
    cuts[k++] = to[i]!;
  }
  const sorted = cuts.subarray(0, k).sort();
  parts.fill(0);
  let other = 0;
  for (let i = 0; i + 1 < k; i++) {
    const a = sorted[i]!;
    const b = sorted[i + 1]!;
    if (b === a) continue;
    let holder = -1;
    for (let j = 0; j < n; j++) {
      if (from[j]! <= a && to[j]! >= b && (holder < 0 || to[j]! > to[holder]!)) holder = j;
    }
    if (holder >= 0) {
      const c = component[holder]!;
      parts[c] = parts[c]! + (b - a);
    } else if (gapIsMeasured(a, b, n)) other += b - a;
  }
  // `unmeasured` is the remainder, guarded against rounding: the parts must add up to the latency.
  const sum = parts[STT]! + parts[DETECTION]! + parts[LLM]! + parts[TOOL]! + parts[TTS]!;
  other = Math.min(other, Math.max(0, e2e - sum));
  return {
    stt: parts[STT]!,
    turn_detection: parts[DETECTION]!,
    llm: parts[LLM]!,
    tool: parts[TOOL]!,
    tts: parts[TTS]!,
    other,
    unmeasured: Math.max(0, e2e - sum - other),
  };
}

/**
 * Whether the uncovered stretch `[a, b]` of the wait lies between measured stages, so that it is
 * network, transport or queueing rather than a stage nobody timed. Its neighbours are the latest
 * stage of an interval ending by `a` (or the end of the caller's speech, before every stage) and
 * the earliest stage of an interval starting from `b` (or the first agent audio, after every
 * stage); every stage from one neighbour to the other, both included, must have been measured.
 * Reads the first `n` intervals of {@link scratch}.
 */
function gapIsMeasured(a: number, b: number, n: number): boolean {
  const { from, to, component, measured } = scratch;
  let left = -1;
  let right = STAGES;
  for (let j = 0; j < n; j++) {
    const stage = STAGE_OF[component[j]!]!;
    if (to[j]! <= a && stage > left) left = stage;
    if (from[j]! >= b && stage < right) right = stage;
  }
  const first = Math.max(0, Math.min(left, right));
  const last = Math.min(STAGES - 1, Math.max(left, right));
  for (let s = first; s <= last; s++) if (!measured[s]) return false;
  return true;
}

const BOTTLENECK_CANDIDATES = ['stt', 'turn_detection', 'llm', 'tool', 'tts', 'other'] as const;

/** The largest measured part; time nobody measured is never a bottleneck. */
function bottleneckOf(
  parts: Record<LatencyComponent, number>,
  e2e: number,
  threshold: number,
): Bottleneck | null {
  let best: Bottleneck['component'] = 'other';
  for (const k of BOTTLENECK_CANDIDATES) if (parts[k] > parts[best]) best = k;
  const share = parts[best] / e2e;
  return share >= threshold ? { component: best, share } : null;
}

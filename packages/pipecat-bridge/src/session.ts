/**
 * One Pipecat session: RTVI messages in, voxtrace `VoiceEvent`s out. RTVI messages carry no time,
 * so every message gets the `at` its caller measured (receive time or the forwarder's `ts`).
 *
 * What it has to get right (docs/research/pipecat.md §1.4, §1.5, §5.1):
 * - metrics are in seconds; the initial frame reports zeros; `tokens` names no processor;
 * - `bot-interrupted` comes at every user-turn start, so it is a barge-in only while the bot speaks;
 * - `llm-function-call-started` has no `tool_call_id`, and with the default report level no name;
 * - turns are numbered as Pipecat's `TurnTrackingObserver` numbers them (see `userStarted`).
 */
import type { ConversationHandle, EndOptions, EventAttributes, VoiceEvent } from '@voxtrace/core';
import { ATTR as CORE, MAX_CONTENT_CHARS } from '@voxtrace/core';
import { issues } from './decode.js';
import { classifyProcessor, errorLayer, type ProcessorInfo, type ProcessorKind } from './processors.js';
import {
  type DataOf,
  dataSchemas,
  type KnownType,
  type MetricItem,
  type MetricKey,
  metricItemSchemas,
  type RtviMessage,
  type TokenUsage,
} from './schema.js';
import { addMs, secondsToMs } from './units.js';

/** How the bridge measures a turn's latency (research §5.1). */
export type LatencyFrom =
  /** `user-stopped-speaking` → first `bot-started-speaking` (the turn strategy's decision). */
  | 'user-stopped-speaking'
  /**
   * Last `vad-user-stopped-speaking` minus the VAD stop delay → first `bot-started-speaking`, as
   * Pipecat's `UserBotLatencyObserver` measures it. Needs `vad_user_speaking_enabled=True` on the
   * observer; turns without a VAD message fall back to `user-stopped-speaking`.
   */
  | 'vad-user-stopped-speaking';

/** Settings a session runs with. */
export interface SessionSettings {
  latencyFrom: LatencyFrom;
  /** Pipecat's `VADParams.stop_secs` in ms: how long the VAD waits in silence before it says "stopped". */
  vadStopDelayMs: number;
}

/** What a session reports to the bridge. */
export interface SessionHooks {
  /** A known message whose data is invalid. */
  malformed(message: string, detail: unknown): void;
}

interface OpenLlm {
  startedAt: number;
  firstToken: boolean;
  output: string;
  usage: TokenUsage | null;
  attributes: EventAttributes;
}

interface OpenTts {
  startedAt: number;
  /** The Pipecat turn it was started in. */
  turn: number;
  firstAudio: boolean;
  characters: number;
  /** Characters of its `bot-tts-text` frames: how far it got (per-word frames leave out the spaces). */
  textCharacters: number;
  attributes: EventAttributes;
}

interface PendingStt {
  latencyMs?: number;
  attributes: EventAttributes;
}

/** Usage totals of the conversation, on the `conversation` span. */
const USAGE = {
  prompt: 'pipecat.usage.prompt_tokens',
  completion: 'pipecat.usage.completion_tokens',
  total: 'pipecat.usage.total_tokens',
  cacheRead: 'pipecat.usage.cache_read_input_tokens',
  characters: 'pipecat.usage.tts_characters',
  sttAudio: 'pipecat.usage.stt_audio_ms',
  /** `bot-llm-search-response` messages (Gemini grounding). */
  searches: 'pipecat.llm.search.count',
  /** `user-mute-started` … `-stopped`: how often and how long the bot did not listen to the user. */
  mutes: 'pipecat.user_mute.count',
  mutedMs: 'pipecat.user_mute.duration_ms',
} as const;

/** Per-span attributes the bridge adds (Pipecat's own figures, in ms). */
const ATTR = {
  processor: 'pipecat.processor',
  processingMs: 'pipecat.processing_ms',
  ttfaMs: 'pipecat.tts.ttfa_ms',
  leadingSilenceMs: 'pipecat.tts.leading_silence_ms',
  ttfatMs: 'pipecat.llm.ttfat_ms',
  thinkingMs: 'pipecat.llm.thinking_time_ms',
  sttAudioMs: 'pipecat.stt.audio_ms',
  firstSpeechMs: 'pipecat.first_bot_speech_latency_ms',
  latencyFrom: 'pipecat.turn.latency_from',
  ttsTextCharacters: 'pipecat.tts.text_characters',
  searchOrigins: 'pipecat.llm.search.origin_count',
} as const;

/**
 * Span names of the optional token counts: OpenTelemetry GenAI's where it defines one, else
 * voxtrace's `voice.llm.usage.*` (GenAI has no total or audio token attribute).
 */
const TOKEN_ATTRIBUTES: [keyof TokenUsage, string][] = [
  ['total_tokens', CORE.llmTotalTokens],
  ['cache_read_input_tokens', CORE.genAiCacheReadInputTokens],
  ['cache_creation_input_tokens', CORE.genAiCacheCreationInputTokens],
  ['reasoning_tokens', CORE.genAiReasoningOutputTokens],
  ['input_audio_tokens', CORE.llmAudioInputTokens],
  ['output_audio_tokens', CORE.llmAudioOutputTokens],
  ['cache_read_input_audio_tokens', CORE.llmAudioCacheReadInputTokens],
];

/** Unpaired `llm-function-call-started` kept at most; older ones are dropped. */
const MAX_PENDING_TOOL_STARTS = 32;
/** Open tool calls tracked at most (a bound on memory, far above any real turn). */
const MAX_OPEN_TOOLS = 256;

/** Translates one conversation's RTVI messages into voxtrace events. */
export class PipecatSession {
  /** Time of the latest message. */
  private lastAt: number;

  // Pipecat's TurnTrackingObserver state: a new turn starts when the user speaks after the bot has.
  private turn = 1;
  private botSpeaking = false;
  private botHasSpoken = false;
  private bargedIn = false;

  private userTurnOpen = false;
  private vadStopAt: number | null = null;
  private readyAt: number | null = null;
  private spoken = false;
  private mutedAt: number | null = null;

  private llm: OpenLlm | null = null;
  private llmInput: string | null = null;
  private tts: OpenTts | null = null;
  private pendingCharacters = 0;
  private stt: PendingStt = { attributes: {} };
  private readonly services: Partial<Record<ProcessorKind, ProcessorInfo & { model?: string }>> = {};
  private readonly toolStarts: { at: number; name?: string }[] = [];
  private readonly openTools = new Map<string, string>();
  private readonly usage: Record<string, number> = {};

  constructor(
    private readonly conv: ConversationHandle,
    private readonly settings: SessionSettings,
    private readonly hooks: SessionHooks,
    startedAt: number,
  ) {
    this.lastAt = startedAt;
  }

  /** Ends the conversation (idempotent). */
  end(options: EndOptions = {}) {
    const endedAt = options.endedAt ?? Math.max(this.lastAt, this.conv.startedAt);
    // A mute still on when the call ends lasted until the end.
    if (!this.conv.ended) this.muteStopped(endedAt);
    return this.conv.end({ ...options, endedAt });
  }

  /** Applies one RTVI message received at `at` (epoch ms). */
  handle(message: RtviMessage, at: number): void {
    if (at > this.lastAt) this.lastAt = at;
    const type = message.type;
    switch (type) {
      case 'user-started-speaking':
        return this.userStarted(at);
      case 'user-stopped-speaking':
        return this.userStopped(at);
      case 'vad-user-started-speaking':
        this.vadStopAt = null;
        return;
      case 'vad-user-stopped-speaking':
        if (this.userTurnOpen) this.vadStopAt = at;
        return;
      case 'bot-started-speaking':
        return this.botStarted(at);
      case 'bot-stopped-speaking':
        return this.botStopped(at);
      case 'bot-interrupted':
        return this.interrupted(at);
      case 'bot-llm-started':
        return this.llmStarted(at);
      case 'bot-llm-stopped':
        return this.llmStopped(at);
      case 'bot-tts-started':
        return this.ttsStarted(at);
      case 'bot-tts-stopped':
        return this.ttsStopped(at, false);
      case 'user-mute-started':
        return this.muteStarted(at);
      case 'user-mute-stopped':
        return this.muteStopped(at);
      default:
        // The bridge routes only the types it reads (`readsType`): the rest never reach a session.
        if (Object.hasOwn(dataSchemas, type)) return this.withData(type as KnownType, message, at);
    }
  }

  private withData(type: KnownType, message: RtviMessage, at: number): void {
    const r = dataSchemas[type].safeParse(message.data);
    if (!r.success) {
      this.hooks.malformed(`malformed ${type}: ${issues(r.error)}`, message);
      return;
    }
    const d = r.data;
    switch (type) {
      case 'bot-ready':
        return this.ready(d as DataOf<'bot-ready'>, at);
      case 'user-transcription':
        return this.transcription(d as DataOf<'user-transcription'>, at);
      case 'user-llm-text':
        this.llmInput = cap((d as DataOf<'user-llm-text'>).text);
        return;
      case 'bot-llm-text':
        if (this.llm) this.llm.output = cap(this.llm.output + (d as DataOf<'bot-llm-text'>).text);
        return;
      case 'bot-output':
        // Validated (v1 and v2 shapes) but not needed: speech timing comes from bot-*-speaking.
        return;
      case 'llm-function-call-started':
        return this.toolAnnounced(d as DataOf<'llm-function-call-started'>, at);
      case 'llm-function-call-in-progress':
        return this.toolInProgress(d as DataOf<'llm-function-call-in-progress'>, at);
      case 'llm-function-call-stopped':
        return this.toolStopped(d as DataOf<'llm-function-call-stopped'>, at);
      case 'llm-function-call': {
        const f = d as DataOf<'llm-function-call'>;
        return this.toolStart(f.tool_call_id, f.function_name, f.args, at);
      }
      case 'error':
        return this.error(d as DataOf<'error'>, at);
      case 'metrics':
        return this.metrics(d as DataOf<'metrics'>, message);
      case 'bot-tts-text':
        if (this.tts) this.tts.textCharacters += (d as DataOf<'bot-tts-text'>).text.length;
        return;
      case 'bot-llm-search-response':
        return this.searched(d as DataOf<'bot-llm-search-response'>);
    }
  }

  /**
   * The bot stops listening to the user (Pipecat's user mute strategies: during its first speech, a
   * function call…): user speech then produces no messages, so a turn without the user's words is not
   * an STT failure. Counted, and timed, on the conversation.
   */
  private muteStarted(at: number): void {
    if (this.mutedAt !== null) return;
    this.mutedAt = at;
    this.count(USAGE.mutes, 1);
  }

  private muteStopped(at: number): void {
    if (this.mutedAt === null) return;
    this.count(USAGE.mutedMs, Math.max(0, at - this.mutedAt));
    this.mutedAt = null;
  }

  /** Gemini grounded the response in a web search: on the LLM call in progress, and counted. */
  private searched(d: DataOf<'bot-llm-search-response'>): void {
    this.count(USAGE.searches, 1);
    if (this.llm) this.llm.attributes[ATTR.searchOrigins] = d.origins?.length ?? 0;
  }

  // -- turns and speech ------------------------------------------------------------------------

  /**
   * Pipecat's `TurnTrackingObserver` opens a new turn when the user starts speaking after the bot has
   * started speaking in the current turn; otherwise the user's speech continues the turn. The bridge
   * starts conversations with `turnContinuation: 'until_agent_speech'`, so core counts the same turns.
   */
  private userStarted(at: number): void {
    const newTurn = this.botHasSpoken;
    if (this.botSpeaking) this.bargedIn = true; // core counts the barge-in from user.speech.started
    if (newTurn) {
      this.turn++;
      this.botHasSpoken = false;
      this.stt = { attributes: {} };
    }
    this.userTurnOpen = true;
    this.vadStopAt = null;
    this.emit({ type: 'user.speech.started', at });
  }

  private userStopped(at: number): void {
    const vadEnd =
      this.vadStopAt === null ? null : Math.max(0, this.vadStopAt - this.settings.vadStopDelayMs);
    const fromVad = this.settings.latencyFrom === 'vad-user-stopped-speaking' && vadEnd !== null;
    this.emit({
      type: 'user.speech.ended',
      at: fromVad ? vadEnd : at,
      attributes: { [ATTR.latencyFrom]: fromVad ? 'vad-user-stopped-speaking' : 'user-stopped-speaking' },
    });
    // The turn strategy's decision came this long after the (VAD-corrected) end of speech.
    if (vadEnd !== null) this.emit({ type: 'turn.end_detected', at, delayMs: Math.max(0, at - vadEnd) });
  }

  private botStarted(at: number): void {
    const attributes: EventAttributes = {};
    if (!this.spoken && this.readyAt !== null) attributes[ATTR.firstSpeechMs] = at - this.readyAt;
    this.spoken = true;
    this.botSpeaking = true;
    this.botHasSpoken = true;
    this.bargedIn = false;
    this.userTurnOpen = false;
    this.emit({ type: 'agent.speech.started', at, attributes });
  }

  private botStopped(at: number): void {
    // As TurnTrackingObserver: a stop without a start (after an interruption) is not speech.
    if (!this.botSpeaking) return;
    this.botSpeaking = false;
    this.emit({ type: 'agent.speech.ended', at, ...(this.bargedIn ? { interrupted: true } : {}) });
  }

  /**
   * An `InterruptionFrame`: the pipeline drops in-flight LLM and TTS work, so open calls end as
   * cancelled (metrics still arriving for them are stale and find no open call). It is a barge-in
   * only while the bot is speaking: Pipecat also sends it at every user-turn start.
   */
  private interrupted(at: number): void {
    if (this.botSpeaking) {
      this.bargedIn = true;
      this.emit({ type: 'user.interrupted', at });
    }
    if (this.llm) this.llmStopped(at, true);
    if (this.tts) this.ttsStopped(at, true);
  }

  private ready(d: DataOf<'bot-ready'>, at: number): void {
    this.readyAt ??= at;
    const attributes: EventAttributes = {};
    if (d?.version) attributes['pipecat.rtvi.version'] = d.version;
    if (d?.about?.library) attributes['pipecat.library'] = d.about.library;
    if (d?.about?.library_version) attributes['pipecat.library.version'] = d.about.library_version;
    this.conv.setAttributes(attributes);
  }

  private transcription(d: DataOf<'user-transcription'>, at: number): void {
    const service = this.service('stt');
    if (!d.final) {
      this.emit({ type: 'stt.partial', at, transcript: d.text, ...service });
      return;
    }
    const { latencyMs, attributes } = this.stt;
    this.stt = { attributes: {} };
    this.emit({
      type: 'stt.final',
      at,
      transcript: d.text,
      ...service,
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      attributes,
    });
  }

  // -- LLM and TTS -----------------------------------------------------------------------------

  private llmStarted(at: number): void {
    if (this.llm) this.llmStopped(at); // a start without the previous stop: close it first
    const input = this.llmInput;
    this.llmInput = null;
    this.emit({ type: 'llm.started', at, ...this.service('llm'), ...(input !== null ? { input } : {}) });
    this.llm = { startedAt: at, firstToken: false, output: '', usage: null, attributes: {} };
  }

  private llmStopped(at: number, cancelled = false): void {
    const llm = this.llm;
    if (!llm) return; // already closed by an interruption
    this.llm = null;
    const usage = llm.usage;
    this.emit({
      type: 'llm.ended',
      at,
      ...this.service('llm'),
      ...(usage ? { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens } : {}),
      ...(llm.output ? { output: llm.output } : {}),
      ...(cancelled ? { cancelled } : {}),
      attributes: llm.attributes,
    });
  }

  private ttsStarted(at: number): void {
    if (this.tts) this.ttsStopped(at, false);
    this.emit({ type: 'tts.started', at, ...this.service('tts') });
    this.tts = {
      startedAt: at,
      turn: this.turn,
      firstAudio: false,
      characters: this.pendingCharacters,
      textCharacters: 0,
      attributes: {},
    };
    this.pendingCharacters = 0;
  }

  private ttsStopped(at: number, cancelled: boolean): void {
    const tts = this.tts;
    if (!tts) return;
    this.tts = null;
    if (tts.textCharacters > 0) tts.attributes[ATTR.ttsTextCharacters] = tts.textCharacters;
    this.emit({
      type: 'tts.ended',
      at,
      ...this.service('tts'),
      ...(tts.characters > 0 ? { characters: tts.characters } : {}),
      ...(cancelled ? { cancelled } : {}),
      attributes: tts.attributes,
    });
  }

  // -- tools -----------------------------------------------------------------------------------

  private toolAnnounced(d: DataOf<'llm-function-call-started'>, at: number): void {
    if (this.toolStarts.length >= MAX_PENDING_TOOL_STARTS) this.toolStarts.shift();
    this.toolStarts.push({ at, ...(d?.function_name ? { name: d.function_name } : {}) });
  }

  /**
   * Pairs an in-progress/stopped message with the oldest unpaired `started` (FIFO). When the
   * message has a name, a `started` of another name is skipped: the built-in cancel tool has no
   * `started` and must not steal another call's.
   */
  private takeStart(name: string | undefined): { at: number; name?: string } | undefined {
    const i = this.toolStarts.findIndex((s) => !name || !s.name || s.name === name);
    return i < 0 ? undefined : this.toolStarts.splice(i, 1)[0];
  }

  private toolInProgress(d: DataOf<'llm-function-call-in-progress'>, at: number): void {
    if (this.openTools.has(d.tool_call_id)) return;
    const start = this.takeStart(d.function_name);
    this.toolStart(d.tool_call_id, d.function_name ?? start?.name, d.arguments, at);
  }

  private toolStart(callId: string, name: string | undefined, args: unknown, at: number): void {
    const toolName = name ?? 'tool_call';
    if (this.openTools.size >= MAX_OPEN_TOOLS) this.openTools.delete(this.openTools.keys().next().value!);
    this.openTools.set(callId, toolName);
    this.emit({
      type: 'tool.started',
      at,
      name: toolName,
      callId,
      ...(args !== undefined ? { arguments: args } : {}),
    });
  }

  private toolStopped(d: DataOf<'llm-function-call-stopped'>, at: number): void {
    let name = d.function_name ?? this.openTools.get(d.tool_call_id);
    if (!this.openTools.has(d.tool_call_id)) {
      // No in-progress: the call started when it was announced, if it was.
      const start = this.takeStart(d.function_name);
      if (start) {
        name ??= start.name;
        this.toolStart(d.tool_call_id, name, undefined, start.at);
      }
    }
    this.openTools.delete(d.tool_call_id);
    this.emit({
      type: 'tool.ended',
      at,
      name: name ?? 'tool_call',
      callId: d.tool_call_id,
      ...(d.result !== undefined ? { result: d.result } : {}),
      ...(d.cancelled ? { cancelled: true } : {}),
    });
  }

  // -- errors ----------------------------------------------------------------------------------

  private error(d: DataOf<'error'>, at: number): void {
    const text = d.error ?? d.message ?? '';
    const fatal = d.fatal === true;
    this.emit({
      type: 'error',
      at,
      layer: errorLayer(text),
      message: text.slice(0, 10_000),
      recoverable: !fatal,
    });
    if (fatal) this.end({ outcome: 'error', endedAt: at });
  }

  // -- metrics ---------------------------------------------------------------------------------

  private metrics(data: DataOf<'metrics'>, message: RtviMessage): void {
    if (!data) return; // empty metrics: TurnMetricsData, TextAggregationMetricsData
    for (const [key, items] of Object.entries(data)) {
      if (!Object.hasOwn(metricItemSchemas, key)) continue;
      if (!Array.isArray(items)) {
        this.hooks.malformed(`malformed metrics.${key}: not an array`, message);
        continue;
      }
      const schema = metricItemSchemas[key as MetricKey];
      for (const raw of items) {
        const r = schema.safeParse(raw);
        if (r.success) this.metric(key as MetricKey, r.data);
        else this.hooks.malformed(`malformed metrics.${key} item: ${issues(r.error)}`, message);
      }
    }
  }

  private metric<K extends MetricKey>(key: K, item: MetricItem<K>): void {
    switch (key) {
      case 'tokens':
        return this.tokens(item as MetricItem<'tokens'>);
      case 'ttfb':
        return this.ttfb(item as MetricItem<'ttfb'>);
      case 'processing': {
        const m = item as MetricItem<'processing'>;
        if (m.value > 0) this.attach(m, { [ATTR.processingMs]: secondsToMs(m.value) });
        return;
      }
      case 'ttfa': {
        const m = item as MetricItem<'ttfa'>;
        if (m.ttfa <= 0) return;
        const a: EventAttributes = { [ATTR.ttfaMs]: secondsToMs(m.ttfa) };
        if (m.leading_silence !== undefined) a[ATTR.leadingSilenceMs] = secondsToMs(m.leading_silence);
        this.attach(m, a);
        return;
      }
      case 'ttfat': {
        const m = item as MetricItem<'ttfat'>;
        if (m.ttfat <= 0) return;
        const a: EventAttributes = { [ATTR.ttfatMs]: secondsToMs(m.ttfat) };
        if (m.thinking_time !== undefined) a[ATTR.thinkingMs] = secondsToMs(m.thinking_time);
        this.attach(m, a);
        return;
      }
      case 'characters': {
        const m = item as MetricItem<'characters'>;
        if (m.value <= 0) return;
        const n = Math.round(m.value);
        this.count(USAGE.characters, n);
        if (this.remember(m)?.kind !== 'tts') return;
        if (this.tts) this.tts.characters += n;
        else this.pendingCharacters += n; // reported before its bot-tts-started
        return;
      }
      case 'stt_usage': {
        const m = item as MetricItem<'stt_usage'>;
        if (m.value.audio_seconds <= 0) return;
        const ms = secondsToMs(m.value.audio_seconds);
        this.count(USAGE.sttAudio, ms);
        this.remember(m);
        const a = this.stt.attributes;
        a[ATTR.sttAudioMs] = addMs((a[ATTR.sttAudioMs] as number | undefined) ?? 0, ms);
        return;
      }
    }
  }

  private ttfb(m: MetricItem<'ttfb'>): void {
    if (m.value <= 0) return; // the initial all-zero metrics frame
    const ms = secondsToMs(m.value);
    const service = this.remember(m);
    if (service?.kind === 'stt') {
      // Speech end → final transcript; it precedes the final `user-transcription`.
      this.stt.latencyMs = ms;
    } else if (service?.kind === 'llm' && this.llm && !this.llm.firstToken) {
      this.llm.firstToken = true;
      const at = this.llm.startedAt + ms;
      this.emit({
        type: 'llm.first_token',
        at,
        ...this.service('llm'),
        attributes: { [ATTR.processor]: m.processor },
      });
    } else if (service?.kind === 'tts' && this.tts && !this.tts.firstAudio) {
      this.tts.firstAudio = true;
      const at = this.tts.startedAt + ms;
      this.emit({
        type: 'tts.first_audio',
        at,
        ...this.service('tts'),
        attributes: { [ATTR.processor]: m.processor },
      });
    }
    // Otherwise: no open call (stale, after an interruption) or another kind of processor.
  }

  /** Attributes for the open call of the metric's processor kind (STT: the next final transcript). */
  private attach(m: { processor: string; model?: string }, attributes: EventAttributes): void {
    const kind = this.remember(m)?.kind;
    if (kind === 'stt') Object.assign(this.stt.attributes, attributes);
    else if (kind === 'llm' && this.llm) Object.assign(this.llm.attributes, attributes);
    else if (kind === 'tts' && this.tts) Object.assign(this.tts.attributes, attributes);
  }

  /** `tokens` name no processor: they belong to the LLM call in progress, and to the totals. */
  private tokens(t: TokenUsage): void {
    this.count(USAGE.prompt, t.prompt_tokens);
    this.count(USAGE.completion, t.completion_tokens);
    if (t.total_tokens !== undefined) this.count(USAGE.total, t.total_tokens);
    if (t.cache_read_input_tokens !== undefined) this.count(USAGE.cacheRead, t.cache_read_input_tokens);
    if (!this.llm) return;
    this.llm.usage = t; // once per completion (#5190): the last report wins
    for (const [field, attr] of TOKEN_ATTRIBUTES) {
      const v = t[field];
      if (v !== undefined) this.llm.attributes[attr] = v;
    }
  }

  private count(attr: string, n: number): void {
    this.usage[attr] = addMs(this.usage[attr] ?? 0, n);
    this.conv.setAttributes({ [attr]: this.usage[attr] });
  }

  /** Classifies a metric's processor and remembers it as the service of its kind. */
  private remember(m: { processor: string; model?: string }): ProcessorInfo | null {
    const info = classifyProcessor(m.processor);
    // Core takes model names of up to 200 characters; a longer one would refuse the whole event.
    if (info) this.services[info.kind] = { ...info, ...(m.model ? { model: m.model.slice(0, 200) } : {}) };
    return info;
  }

  /** Provider and model of the last seen service of a kind. */
  private service(kind: ProcessorKind): { provider?: string; model?: string } {
    const s = this.services[kind];
    if (!s) return {};
    return { provider: s.provider, ...(s.model ? { model: s.model } : {}) };
  }

  private emit(event: VoiceEvent): void {
    this.conv.record(event);
  }
}

function cap(text: string): string {
  return text.length > MAX_CONTENT_CHARS ? text.slice(0, MAX_CONTENT_CHARS) : text;
}

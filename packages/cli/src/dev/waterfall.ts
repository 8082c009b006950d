/**
 * A conversation rebuilt from its spans: the summary the list shows and, per turn, the waterfall's
 * segments (user speech, STT, turn detection, LLM TTFT and generation, tools, TTS TTFB and synthesis,
 * agent speech) with the bottleneck marked. Pure functions of the spans received so far.
 */
import { ATTR, type LatencyComponent, SPAN } from '@voxtrace/core';
import { numberOf, type ReceivedSpan, type SpanAttributes, stringOf } from './span.js';

/**
 * Turn span attributes voxtrace core does not set yet (requested): the speech boundaries, epoch ms.
 * When present they are used as is; until then they are derived from the component spans.
 */
export const SPEECH_ATTR = {
  userSpeechStartedAt: 'turn.user_speech.started_at_ms',
  userSpeechEndedAt: 'turn.user_speech.ended_at_ms',
  agentSpeechStartedAt: 'turn.agent_speech.started_at_ms',
  agentSpeechEndedAt: 'turn.agent_speech.ended_at_ms',
} as const;

/** What a waterfall segment shows. */
export type SegmentKind =
  | 'user_speech'
  | 'stt'
  | 'turn_detection'
  | 'llm_ttft'
  | 'llm_generation'
  | 'tool'
  | 'tts_ttfb'
  | 'tts_synthesis'
  | 'agent_speech';

/** One bar of a turn's waterfall; times are epoch ms. */
export interface Segment {
  kind: SegmentKind;
  /** The latency component it belongs to (`null` for speech). */
  component: Exclude<LatencyComponent, 'other' | 'unmeasured'> | null;
  startMs: number;
  endMs: number;
  label: string;
  /** The span it comes from (`null` for speech). */
  spanId: string | null;
  /** Part of the turn's bottleneck (`turn.bottleneck`) on the caller's wait. */
  bottleneck: boolean;
  /** The span's error, when it failed. */
  error: string | null;
  /** A bound is an estimate (see {@link SPEECH_ATTR}). */
  estimated: boolean;
}

/** One turn, as the waterfall draws it. */
export interface TurnView {
  spanId: string;
  index: number;
  initiator: string;
  startMs: number;
  endMs: number;
  /** End of user speech (the wait's start), when known or derived. */
  userSpeechEndedAt: number | null;
  /** First agent audio (the wait's end), when known or derived. */
  agentSpeechStartedAt: number | null;
  /** What the caller waited (`turn.e2e_latency_ms`). */
  e2eMs: number | null;
  bottleneck: { component: string; share: number | null } | null;
  /** The wait split along its critical path (`turn.latency_ms.*`). */
  breakdown: Partial<Record<LatencyComponent, number>> | null;
  interrupted: boolean;
  errorLayers: string[];
  /** The user's words as the span carries them (redacted by default). */
  transcript: string | null;
  segments: Segment[];
}

/** A conversation in the list. */
export interface ConversationSummary {
  traceId: string;
  conversationId: string;
  /** `voice.platform`; known once the conversation span arrives (at the end of the call). */
  platform: string | null;
  service: string | null;
  startedAt: number;
  /** `null` while the call is live (its conversation span has not arrived). */
  endedAt: number | null;
  live: boolean;
  outcome: string | null;
  endReason: string | null;
  turnCount: number;
  /** The turn with the longest wait. */
  worstTurn: { index: number; e2eMs: number; bottleneck: string | null } | null;
  /** Turns whose span has status ERROR. */
  errorTurns: number;
  interruptions: number;
  /** Spans dropped at the per-conversation cap. */
  droppedSpans: number;
}

/** A conversation with its turns. */
export interface ConversationView extends ConversationSummary {
  turns: TurnView[];
}

/** The spans of one conversation, as the store holds them. */
export interface ConversationSpans {
  traceId: string;
  conversationId: string;
  conversation: ReceivedSpan | null;
  turns: ReadonlyMap<string, ReceivedSpan>;
  /** Component spans by parent (turn) span id. */
  children: ReadonlyMap<string, readonly ReceivedSpan[]>;
  droppedSpans: number;
}

const COMPONENT_OF: Record<string, Exclude<LatencyComponent, 'other' | 'unmeasured'>> = {
  [SPAN.stt]: 'stt',
  [SPAN.turnDetection]: 'turn_detection',
  [SPAN.llm]: 'llm',
  [SPAN.tool]: 'tool',
  [SPAN.tts]: 'tts',
};

const BREAKDOWN: [LatencyComponent, string][] = [
  ['stt', ATTR.turnLatencyStt],
  ['turn_detection', ATTR.turnLatencyTurnDetection],
  ['llm', ATTR.turnLatencyLlm],
  ['tool', ATTR.turnLatencyTool],
  ['tts', ATTR.turnLatencyTts],
  ['other', ATTR.turnLatencyOther],
  ['unmeasured', ATTR.turnLatencyUnmeasured],
];

/** The list entry of a conversation. */
export function summarize(c: ConversationSpans): ConversationSummary {
  const conv = c.conversation;
  const turns = [...c.turns.values()];
  let worst: ConversationSummary['worstTurn'] = null;
  let errorTurns = 0;
  let interruptions = 0;
  let maxIndex = 0;
  let firstStart = Infinity;
  for (const t of turns) {
    const e2e = numberOf(t.attributes[ATTR.turnE2eLatencyMs]);
    const index = numberOf(t.attributes[ATTR.turnIndex]) ?? 0;
    if (e2e !== null && (!worst || e2e > worst.e2eMs))
      worst = { index, e2eMs: e2e, bottleneck: stringOf(t.attributes[ATTR.turnBottleneck]) };
    if (t.status.code === 2) errorTurns++;
    if (t.attributes[ATTR.turnInterrupted] === true) interruptions++;
    maxIndex = Math.max(maxIndex, index);
    firstStart = Math.min(firstStart, t.startMs);
  }
  const a: SpanAttributes = conv?.attributes ?? {};
  return {
    traceId: c.traceId,
    conversationId: c.conversationId,
    platform: stringOf(a[ATTR.platform]),
    service: stringOf((conv ?? turns[0])?.resource['service.name']),
    startedAt: conv?.startMs ?? (Number.isFinite(firstStart) ? firstStart : 0),
    endedAt: conv?.endMs ?? null,
    live: conv === null,
    outcome: stringOf(a[ATTR.outcome]),
    endReason: stringOf(a[ATTR.endReason]),
    turnCount: Math.max(numberOf(a[ATTR.turnCount]) ?? 0, maxIndex, turns.length),
    worstTurn: worst,
    errorTurns,
    interruptions: numberOf(a[ATTR.interruptions]) ?? interruptions,
    droppedSpans: c.droppedSpans,
  };
}

/** The conversation with each turn's waterfall, turns in order. */
export function conversationView(c: ConversationSpans): ConversationView {
  const turns = [...c.turns.values()]
    .map((t) => turnView(t, c.children.get(t.spanId) ?? []))
    .sort((x, y) => x.index - y.index || x.startMs - y.startMs);
  return { ...summarize(c), turns };
}

/** Speech boundaries of a turn: from the turn span when it carries them, else derived. */
interface SpeechTimes {
  userStart: number | null;
  userEnd: number | null;
  agentStart: number | null;
  agentEnd: number | null;
  userEndEstimated: boolean;
  agentEndEstimated: boolean;
}

/**
 * Derivations, each exact in the case named: user speech starts the turn when the user opened it;
 * its end is where turn detection or STT started when they carry a latency (core starts them at the
 * end of user speech); first agent audio is that end plus `turn.e2e_latency_ms`. Without those, the
 * first TTS audio stands for first agent audio. Agent speech end falls back to the turn's end.
 */
function speechTimes(turn: ReceivedSpan, children: readonly ReceivedSpan[]): SpeechTimes {
  const a = turn.attributes;
  const e2e = numberOf(a[ATTR.turnE2eLatencyMs]);
  const withLatency = (name: string) =>
    children.find((s) => s.name === name && numberOf(s.attributes[ATTR.componentLatencyMs]) !== null);
  const userStart =
    numberOf(a[SPEECH_ATTR.userSpeechStartedAt]) ?? (a[ATTR.turnInitiator] === 'agent' ? null : turn.startMs);
  let userEnd =
    numberOf(a[SPEECH_ATTR.userSpeechEndedAt]) ??
    withLatency(SPAN.turnDetection)?.startMs ??
    withLatency(SPAN.stt)?.startMs ??
    null;
  let agentStart = numberOf(a[SPEECH_ATTR.agentSpeechStartedAt]);
  let userEndEstimated = false;
  if (agentStart === null && userEnd !== null && e2e !== null) agentStart = userEnd + e2e;
  if (agentStart === null) {
    const firstAudio = children
      .filter((s) => s.name === SPAN.tts && numberOf(s.attributes[ATTR.ttsTtfbMs]) !== null)
      .map((s) => s.startMs + numberOf(s.attributes[ATTR.ttsTtfbMs])!)
      .sort((x, y) => x - y)[0];
    agentStart = firstAudio ?? null;
    if (agentStart !== null && userEnd === null && e2e !== null) {
      userEnd = agentStart - e2e;
      userEndEstimated = true;
    }
  }
  const explicitAgentEnd = numberOf(a[SPEECH_ATTR.agentSpeechEndedAt]);
  return {
    userStart,
    userEnd,
    agentStart,
    agentEnd: explicitAgentEnd ?? (agentStart !== null ? Math.max(turn.endMs, agentStart) : null),
    userEndEstimated,
    agentEndEstimated: explicitAgentEnd === null,
  };
}

function turnView(turn: ReceivedSpan, children: readonly ReceivedSpan[]): TurnView {
  const a = turn.attributes;
  const times = speechTimes(turn, children);
  const segments: Segment[] = [];
  const add = (s: Omit<Segment, 'bottleneck' | 'error' | 'estimated'> & Partial<Segment>) =>
    segments.push({
      bottleneck: false,
      error: null,
      estimated: false,
      ...s,
      endMs: Math.max(s.endMs, s.startMs),
    });

  if (times.userStart !== null && times.userEnd !== null && times.userEnd >= times.userStart)
    add({
      kind: 'user_speech',
      component: null,
      startMs: times.userStart,
      endMs: times.userEnd,
      label: `user speech ${ms(times.userEnd - times.userStart)}`,
      spanId: null,
      estimated: times.userEndEstimated,
    });
  // A total order, so the segments do not depend on the order the spans arrived in.
  const ordered = [...children].sort(
    (x, y) =>
      x.startMs - y.startMs ||
      x.endMs - y.endMs ||
      x.name.localeCompare(y.name) ||
      x.spanId.localeCompare(y.spanId),
  );
  for (const s of ordered) {
    const component = COMPONENT_OF[s.name];
    if (!component) continue;
    const sa = s.attributes;
    const who = [stringOf(sa[ATTR.componentProvider]), stringOf(sa[ATTR.componentModel])]
      .filter(Boolean)
      .join(' ');
    const base = { component, spanId: s.spanId, error: spanError(s) };
    const duration = s.endMs - s.startMs;
    switch (s.name) {
      case SPAN.stt:
        add({
          ...base,
          kind: 'stt',
          startMs: s.startMs,
          endMs: s.endMs,
          label: words('STT', ms(duration), who),
        });
        break;
      case SPAN.turnDetection:
        add({
          ...base,
          kind: 'turn_detection',
          startMs: s.startMs,
          endMs: s.endMs,
          label: `turn detection ${ms(duration)}`,
        });
        break;
      case SPAN.llm: {
        const ttft = numberOf(sa[ATTR.llmTtftMs]);
        if (ttft !== null) {
          add({
            ...base,
            kind: 'llm_ttft',
            startMs: s.startMs,
            endMs: s.startMs + ttft,
            label: words('LLM TTFT', ms(ttft), who),
          });
          add({
            ...base,
            kind: 'llm_generation',
            startMs: s.startMs + ttft,
            endMs: s.endMs,
            label: `LLM generation ${ms(duration - ttft)}`,
          });
        } else
          add({
            ...base,
            kind: 'llm_generation',
            startMs: s.startMs,
            endMs: s.endMs,
            label: words('LLM', ms(duration), who),
          });
        break;
      }
      case SPAN.tool:
        add({
          ...base,
          kind: 'tool',
          startMs: s.startMs,
          endMs: s.endMs,
          label: words('tool', stringOf(sa[ATTR.genAiToolName]), ms(duration)),
        });
        break;
      case SPAN.tts: {
        const ttfb = numberOf(sa[ATTR.ttsTtfbMs]);
        if (ttfb !== null) {
          add({
            ...base,
            kind: 'tts_ttfb',
            startMs: s.startMs,
            endMs: s.startMs + ttfb,
            label: words('TTS TTFB', ms(ttfb), who),
          });
          add({
            ...base,
            kind: 'tts_synthesis',
            startMs: s.startMs + ttfb,
            endMs: s.endMs,
            label: `TTS synthesis ${ms(duration - ttfb)}`,
          });
        } else
          add({
            ...base,
            kind: 'tts_synthesis',
            startMs: s.startMs,
            endMs: s.endMs,
            label: words('TTS', ms(duration), who),
          });
        break;
      }
    }
  }
  if (times.agentStart !== null && times.agentEnd !== null)
    add({
      kind: 'agent_speech',
      component: null,
      startMs: times.agentStart,
      endMs: times.agentEnd,
      label: `agent speech${times.agentEndEstimated ? ' (end estimated: the turn end)' : ` ${ms(times.agentEnd - times.agentStart)}`}`,
      spanId: null,
      estimated: times.agentEndEstimated,
    });

  const bottleneck = stringOf(a[ATTR.turnBottleneck]);
  if (bottleneck) markBottleneck(segments, bottleneck, times.userEnd, times.agentStart);
  const breakdown: Partial<Record<LatencyComponent, number>> = {};
  for (const [k, key] of BREAKDOWN) {
    const v = numberOf(a[key]);
    if (v !== null) breakdown[k] = v;
  }
  const layers = a[ATTR.turnErrorLayers];
  return {
    spanId: turn.spanId,
    index: numberOf(a[ATTR.turnIndex]) ?? 0,
    initiator: stringOf(a[ATTR.turnInitiator]) ?? 'user',
    startMs: turn.startMs,
    endMs: turn.endMs,
    userSpeechEndedAt: times.userEnd,
    agentSpeechStartedAt: times.agentStart,
    e2eMs: numberOf(a[ATTR.turnE2eLatencyMs]),
    bottleneck: bottleneck ? { component: bottleneck, share: numberOf(a[ATTR.turnBottleneckShare]) } : null,
    breakdown: Object.keys(breakdown).length ? breakdown : null,
    interrupted: a[ATTR.turnInterrupted] === true,
    errorLayers: Array.isArray(layers) ? layers.filter((x): x is string => typeof x === 'string') : [],
    transcript: stringOf(a[ATTR.turnUserTranscript]),
    segments,
  };
}

/** Segments that make up the bottleneck: its component's, on the wait (the generation tails are not). */
function markBottleneck(
  segments: Segment[],
  component: string,
  waitFrom: number | null,
  waitTo: number | null,
): void {
  for (const s of segments) {
    if (s.component !== component || s.kind === 'tts_synthesis') continue;
    const onWait = waitFrom === null || waitTo === null || (s.endMs > waitFrom && s.startMs < waitTo);
    if (onWait && (s.kind !== 'llm_generation' || (waitTo !== null && s.endMs <= waitTo)))
      s.bottleneck = true;
  }
}

function spanError(s: ReceivedSpan): string | null {
  if (s.status.code !== 2) return null;
  return stringOf(s.attributes[ATTR.componentError]) ?? (s.status.message || 'error');
}

function words(...parts: (string | null)[]): string {
  return parts.filter(Boolean).join(' ');
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
}

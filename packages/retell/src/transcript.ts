/**
 * A finished Retell call → the `VoiceEvent`s of its turns, for post-call reconstruction.
 *
 * - Utterances come from `transcript_object` (else the utterances of `transcript_with_tool_calls`). Word
 *   `start`/`end` are seconds of call audio, anchored at `start_timestamp` (epoch ms): each user utterance
 *   gives `user.speech.started`/`ended`, each agent utterance `agent.speech.started`/`ended`, so core's
 *   felt latency is the first agent word − the last user word.
 * - Tools come from `transcript_with_tool_calls`: `time_sec` when present, else drawn at the
 *   neighbouring words (`retell.tool.timing` says whether the span's length is a measurement).
 * - Retell's per-turn series (`latency.<key>.values`, ms, in turn order, no timestamps) are matched by
 *   order to the agent's responses to the user and attached to those turns. When the ASR, LLM and TTS
 *   figures fit in the felt wait, they also become `stt`/`llm`/`tts` events placed backwards from the
 *   first agent word (TTS first byte = first word, the LLM's first token = TTS start, ASR after the
 *   last user word), marked `retell.reconstructed`: their latencies are Retell's, their places inferred.
 */
import type { EventAttributes, VoiceEvent } from '@voxtrace/core';
import { type Problems, part } from './call-attributes.js';
import {
  type RetellCall,
  retellLatencySchema,
  retellToolInvocationSchema,
  retellToolResultSchema,
  retellUtteranceSchema,
  retellWordSchema,
} from './schema.js';

/** Retell's per-turn latency series, attached to turns as `retell.latency.<key>_ms`. */
export const RETELL_TURN_LATENCY_KEYS = [
  'e2e',
  'asr',
  'llm',
  'llm_websocket_network_rtt',
  'tts',
  'knowledge_base',
  's2s',
] as const;
type LatencyKey = (typeof RETELL_TURN_LATENCY_KEYS)[number];
type Series = Partial<Record<LatencyKey, (number | null)[]>>;

/** Options of {@link transcriptEvents}. */
export interface TranscriptOptions {
  /** Turn Retell's per-turn ASR/LLM/TTS figures into component events (default true). */
  reconstructComponents: boolean;
}

interface Timed {
  role: 'agent' | 'user';
  content: string;
  /** Epoch ms. */
  start: number;
  end: number;
}

type Timestamped = VoiceEvent & { at: number };

/**
 * What a tool span's length is: `measured` (both ends from Retell's `time_sec`), or `word_gap` (Retell
 * did not time the call: the span is drawn between the neighbouring words, its length is not the
 * call's duration, which is unknown).
 */
export const TOOL_TIMING = 'retell.tool.timing';

/** Seconds of call audio → epoch ms. The one place Retell's word and tool times are converted. */
export function audioSecondsToEpochMs(startTimestampMs: number, seconds: number): number {
  return Math.round(startTimestampMs + seconds * 1000);
}

const roleOf = (x: unknown): unknown =>
  typeof x === 'object' && x !== null ? (x as { role?: unknown }).role : undefined;
const isUtteranceRole = (r: unknown) => r === 'agent' || r === 'user' || r === 'transfer_target';

/** The events of a finished call's turns, in time order. Bad items are noted in `problems` and skipped. */
export function transcriptEvents(
  call: RetellCall,
  options: TranscriptOptions,
  problems: Problems,
): VoiceEvent[] {
  const withTools = call.transcript_with_tool_calls ?? call.scrubbed_transcript_with_tool_calls ?? [];
  const fromObject = (call.transcript_object?.length ?? 0) > 0;
  const source = fromObject ? (call.transcript_object ?? []) : withTools;
  if (source.length === 0 && withTools.length === 0) return [];
  const anchor = call.start_timestamp;
  if (anchor == null) {
    problems.push('call.start_timestamp missing: transcript times cannot be placed, turns skipped');
    return [];
  }
  // Every item of `transcript_object` is an utterance; `transcript_with_tool_calls` mixes in other roles.
  const timeAll = (list: readonly unknown[], name: string, onlyUtterances: boolean) =>
    list.map((x, i) =>
      !onlyUtterances || isUtteranceRole(roleOf(x))
        ? timeUtterance(x, anchor, `${name}.${i}`, problems)
        : null,
    );
  const withToolsTimed = timeAll(withTools, 'call.transcript_with_tool_calls', true);
  const utterances = (fromObject ? timeAll(source, 'call.transcript_object', false) : withToolsTimed).filter(
    (u): u is Timed => u !== null,
  );
  utterances.sort((a, b) => a.start - b.start);
  const events: Timestamped[] = [];
  turnEvents(utterances, seriesOf(call, problems), options, events);
  toolEvents(withTools, withToolsTimed, anchor, problems, events);
  // Stable: equal times keep the logical order they were pushed in.
  return events
    .map((e, i) => ({ e, i }))
    .sort((x, y) => x.e.at - y.e.at || x.i - y.i)
    .map((x) => x.e);
}

function timeUtterance(x: unknown, anchor: number, where: string, problems: Problems): Timed | null {
  const u = part(retellUtteranceSchema, x, where, problems);
  if (!u || u.role === 'transfer_target') return null;
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  (u.words ?? []).forEach((w, i) => {
    const word = part(retellWordSchema, w, `${where}.words.${i}`, problems);
    if (word?.start == null) return;
    start = Math.min(start, word.start);
    end = Math.max(end, word.start, word.end ?? word.start);
  });
  // An utterance without word times cannot be placed; a guess would corrupt the latency.
  if (!Number.isFinite(start)) return null;
  return {
    role: u.role,
    content: u.content ?? '',
    start: audioSecondsToEpochMs(anchor, start),
    end: audioSecondsToEpochMs(anchor, end),
  };
}

function seriesOf(call: RetellCall, problems: Problems): Series {
  const out: Series = {};
  for (const key of RETELL_TURN_LATENCY_KEYS) {
    const l = part(retellLatencySchema, call.latency?.[key], `call.latency.${key}`, problems);
    // Positions matter (value i is turn i), so a bad value becomes a gap rather than being dropped.
    if (l?.values) {
      out[key] = l.values.map((v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null));
    }
  }
  return out;
}

function turnEvents(
  utterances: Timed[],
  series: Series,
  options: TranscriptOptions,
  out: Timestamped[],
): void {
  let waiting: Timed[] = []; // user utterances the agent has not answered yet
  let response = 0;
  for (const u of utterances) {
    if (u.role === 'user') {
      out.push({ type: 'user.speech.started', at: u.start }, { type: 'user.speech.ended', at: u.end });
      waiting.push(u);
      continue;
    }
    let attributes: EventAttributes | undefined;
    if (waiting.length > 0) {
      const values = valuesAt(series, response++);
      attributes = turnAttributes(values);
      if (options.reconstructComponents) reconstruct(waiting, u, values, out);
      waiting = [];
    }
    out.push(
      { type: 'agent.speech.started', at: u.start, attributes },
      { type: 'agent.speech.ended', at: u.end },
    );
  }
}

function valuesAt(series: Series, index: number): Partial<Record<LatencyKey, number>> {
  const v: Partial<Record<LatencyKey, number>> = {};
  for (const key of RETELL_TURN_LATENCY_KEYS) {
    const x = series[key]?.[index];
    if (x != null) v[key] = x;
  }
  return v;
}

function turnAttributes(values: Partial<Record<LatencyKey, number>>): EventAttributes | undefined {
  const entries = Object.entries(values).map(([k, v]) => [`retell.latency.${k}_ms`, v] as const);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

const RECONSTRUCTED = { 'retell.reconstructed': true } as const;

function reconstruct(
  user: Timed[],
  agent: Timed,
  v: Partial<Record<LatencyKey, number>>,
  out: Timestamped[],
): void {
  const userEnd = Math.max(...user.map((u) => u.end));
  const firstWord = agent.start;
  const transcript = user
    .map((u) => u.content)
    .join(' ')
    .trim();
  if (v.asr !== undefined && userEnd + v.asr <= firstWord) {
    out.push({
      type: 'stt.final',
      at: userEnd + v.asr,
      transcript,
      latencyMs: v.asr,
      attributes: RECONSTRUCTED,
    });
  }
  const ttsStart = firstWord - (v.tts ?? 0);
  const llmStart = ttsStart - (v.llm ?? 0);
  if (v.llm !== undefined && llmStart >= userEnd) {
    const attributes: EventAttributes = { ...RECONSTRUCTED };
    if (v.llm_websocket_network_rtt !== undefined) {
      attributes['retell.llm_websocket_network_rtt_ms'] = v.llm_websocket_network_rtt;
    }
    out.push(
      { type: 'llm.started', at: llmStart, input: transcript, attributes },
      { type: 'llm.first_token', at: ttsStart },
      { type: 'llm.ended', at: agent.end },
    );
  }
  if (v.tts !== undefined && ttsStart >= userEnd) {
    out.push(
      { type: 'tts.started', at: ttsStart, attributes: RECONSTRUCTED },
      { type: 'tts.first_audio', at: firstWord },
      { type: 'tts.ended', at: agent.end },
    );
  }
}

/**
 * Tool spans. Retell's `time_sec` (not in retell-sdk's types, so often absent) times an end exactly.
 * Without it the end is drawn at the neighbouring words (the invocation at the end of the words before
 * it, the result at the start of the words after it), so the span shows where the call happened in the
 * conversation without claiming how long it took: `retell.tool.timing` says `word_gap`.
 */
function toolEvents(
  entries: readonly unknown[],
  timed: readonly (Timed | null)[],
  anchor: number,
  problems: Problems,
  out: Timestamped[],
): void {
  const prevEnd: (number | undefined)[] = [];
  const nextStart: (number | undefined)[] = [];
  let last: number | undefined;
  timed.forEach((u, i) => {
    prevEnd[i] = last;
    if (u) last = u.end;
  });
  let next: number | undefined;
  for (let i = timed.length - 1; i >= 0; i--) {
    nextStart[i] = next;
    const u = timed[i];
    if (u) next = u.start;
  }
  const invoked = new Map<
    string,
    { name: string; at: number; measured: boolean; attributes: EventAttributes }
  >();
  entries.forEach((x, i) => {
    const role = roleOf(x);
    const where = `call.transcript_with_tool_calls.${i}`;
    if (role === 'tool_call_invocation') {
      const t = part(retellToolInvocationSchema, x, where, problems);
      if (!t) return;
      const measured = t.time_sec != null;
      const at = measured
        ? audioSecondsToEpochMs(anchor, t.time_sec!)
        : (prevEnd[i] ?? nextStart[i] ?? anchor);
      // A call without a result has no known duration whatever its start.
      const attributes: EventAttributes = { [TOOL_TIMING]: 'word_gap' };
      if (t.type) attributes['retell.tool.type'] = t.type;
      invoked.set(t.tool_call_id, { name: t.name, at, measured, attributes });
      out.push({
        type: 'tool.started',
        at,
        name: t.name,
        callId: t.tool_call_id,
        arguments: t.arguments ?? undefined,
        attributes,
      });
    } else if (role === 'tool_call_result') {
      const t = part(retellToolResultSchema, x, where, problems);
      if (!t) return;
      const start = invoked.get(t.tool_call_id);
      const measured = t.time_sec != null;
      if (start && measured && start.measured) start.attributes[TOOL_TIMING] = 'measured';
      const at = measured
        ? audioSecondsToEpochMs(anchor, t.time_sec!)
        : (nextStart[i] ?? prevEnd[i] ?? anchor);
      out.push({
        type: 'tool.ended',
        at: Math.max(at, start?.at ?? at),
        name: start?.name ?? 'unknown',
        callId: t.tool_call_id,
        result: t.content ?? undefined,
        error: t.successful === false ? 'tool call unsuccessful' : undefined,
        attributes: { [TOOL_TIMING]: start?.attributes[TOOL_TIMING] ?? 'word_gap' },
      });
    }
  });
}

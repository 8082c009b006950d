/**
 * `end-of-call-report` → the events and end options of one complete conversation. Pure: no voxtrace, no
 * clock beyond the `now` fallback.
 *
 * Turns come from `artifact.messages` (`time`/`endTime` epoch ms, `secondsFromStart` s when `time` is
 * missing; `duration` is ignored). Each message becomes speech events at its own times, so core measures the
 * felt latency (first agent audio − end of user speech). Vapi's per-stage figures (`turnLatencies`, matched
 * to bot turns by order) are recorded beside it as turn attributes, and place component spans:
 * endpointing → transcription → model first token run forward from the end of user speech, in the order
 * Vapi documents its pipeline; the voice's time to first audio runs back from the bot's first audio. What
 * no figure covers stays `other`. A figure that is missing or 0 is unknown: no span, no attribute.
 */
import type { EndOptions, EventAttributes, VoiceEvent } from '@voxtrace/core';
import type { z } from 'zod';
import { VAPI_AVERAGE_ATTR, VAPI_CALL_ATTR, VAPI_COST_ATTR, VAPI_TURN_ATTR } from './attributes.js';
import {
  callAttributes,
  type Providers,
  readProviders,
  readToolCall,
  type ToolCallInfo,
  toEpochMs,
  toolName,
} from './call.js';
import { classifyEndedReason } from './ended-reason.js';
import type { performanceMetricsSchema, VapiArtifactMessage, VapiEndOfCallReport } from './schemas.js';

/** What a report turns into. */
export interface ReportPlan {
  /** `call.id`: the conversation id (and trace id). */
  callId: string | null;
  startedAt: number;
  /** Attributes identifying the call, for `startConversation`. */
  callAttributes: EventAttributes;
  /** Turn events, in recording order. */
  events: VoiceEvent[];
  /** The fatal `error` of an error `endedReason`, recorded just before the end. */
  fatal: VoiceEvent | null;
  /** `conv.end()` options: the call's real end time, outcome, taskCompleted and call-level attributes. */
  end: EndOptions & { endedAt: number };
  /** Parts of the report that could not be used. */
  problems: string[];
}

type PerformanceMetrics = z.infer<typeof performanceMetricsSchema>;

/** Vapi's figures of one bot turn, milliseconds; `null` = unknown (missing or 0). */
interface Figures {
  index: number;
  turn: number | null;
  model: number | null;
  voice: number | null;
  transcriber: number | null;
  endpointing: number | null;
}

interface Item {
  kind: 'user' | 'bot' | 'tool_calls' | 'tool_result';
  time: number;
  endTime: number | null;
  text: string;
  calls: ToolCallInfo[];
  toolCallId: string;
  name: string | undefined;
  result: unknown;
}

/** User messages and the agent's answer to them (bot speech, tool calls and results). */
interface Exchange {
  users: Item[];
  agent: Item[];
}

const KIND: Record<string, Item['kind']> = {
  user: 'user',
  bot: 'bot',
  assistant: 'bot',
  tool_calls: 'tool_calls',
  tool_call_result: 'tool_result',
};

/** Below this, every latency figure of a report is taken to be in seconds (seen in the wild: `0.4`). */
const SECONDS_IF_ALL_BELOW = 20;

/** Plans the conversation of an `end-of-call-report`. */
export function planReport(report: VapiEndOfCallReport, now: number): ReportPlan {
  const problems: string[] = [];
  const call = report.call;
  const raw = report.artifact?.messages ?? report.messages ?? [];
  const reportStart = toEpochMs(report.startedAt) ?? toEpochMs(call?.startedAt);
  const items = readItems(raw, reportStart, problems);
  const startedAt = reportStart ?? items[0]?.time ?? report.timestamp ?? now;

  const pm = report.artifact?.performanceMetrics;
  const scale = latencyScale(pm);
  if (scale !== 1) problems.push('artifact.performanceMetrics: every figure is below 20, read as seconds');
  const exchanges = toExchanges(items);
  const figures = matchFigures(exchanges, pm, scale);
  const providers = readProviders(report, report.costs);
  const events = turnEvents(exchanges, figures.byExchange, providers, startedAt);

  const lastEventAt = events.reduce((m, e) => Math.max(m, e.at ?? 0), startedAt);
  const endedAt =
    toEpochMs(report.endedAt) ??
    toEpochMs(call?.endedAt) ??
    (report.durationMs !== undefined ? startedAt + report.durationMs : null) ??
    (report.durationSeconds !== undefined ? startedAt + report.durationSeconds * 1000 : null) ??
    Math.max(lastEventAt, report.timestamp ?? lastEventAt);

  const reason = report.endedReason ?? call?.endedReason;
  const cls = reason ? classifyEndedReason(reason) : null;
  const attributes: EventAttributes = {
    ...reportAttributes(report, pm, scale),
    ...(figures.mismatch && {
      [VAPI_CALL_ATTR.turnLatencyCount]: figures.mismatch.entries,
      [VAPI_CALL_ATTR.botTurnCount]: figures.mismatch.botTurns,
    }),
  };
  if (reason) Object.assign(attributes, endedReasonAttributes(reason));
  if (figures.mismatch) {
    problems.push(
      `artifact.performanceMetrics.turnLatencies: ${figures.mismatch.entries} entries for ${figures.mismatch.botTurns} bot turns, matched by order`,
    );
  }
  return {
    callId: call?.id ?? null,
    startedAt,
    callAttributes: callAttributes(report),
    events,
    fatal: reason ? endedReasonError(reason, endedAt) : null,
    end: {
      endedAt,
      ...(cls && { outcome: cls.outcome }),
      taskCompleted: taskCompletedOf(report.analysis?.successEvaluation),
      attributes,
    },
    problems,
  };
}

/** The `vapi.ended_reason*` attributes of the conversation. */
export function endedReasonAttributes(reason: string): EventAttributes {
  const cls = classifyEndedReason(reason);
  return {
    [VAPI_CALL_ATTR.endedReason]: reason.slice(0, 200),
    [VAPI_CALL_ATTR.endedReasonFamily]: cls.family,
    ...(cls.fault && { [VAPI_CALL_ATTR.fault]: cls.fault }),
  };
}

/** The fatal `error` event of an `endedReason` whose outcome is an error, else `null`. */
export function endedReasonError(reason: string, at: number): VoiceEvent | null {
  const cls = classifyEndedReason(reason);
  if (cls.outcome !== 'error' || !cls.layer) return null;
  return {
    type: 'error',
    at,
    layer: cls.layer,
    message: `vapi endedReason: ${reason.slice(0, 500)}`,
    recoverable: false,
  };
}

/**
 * `analysis.successEvaluation` → `taskCompleted` when it is boolean-like (`"true"`, `"false"`, `"pass"`,
 * `"fail"`, a boolean); a score such as `"8"` or a rubric text is not, and gives `null`.
 */
export function taskCompletedOf(value: string | boolean | number | null | undefined): boolean | null {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return null;
  const v = value.trim().toLowerCase().replace(/[.!]$/, '');
  if (['true', 'yes', 'pass', 'passed', 'success', 'successful', 'completed'].includes(v)) return true;
  if (['false', 'no', 'fail', 'failed', 'failure', 'unsuccessful', 'not completed'].includes(v)) return false;
  return null;
}

function readItems(
  raw: readonly VapiArtifactMessage[],
  startedAt: number | null,
  problems: string[],
): Item[] {
  // `secondsFromStart` is relative to the call's own zero; take it from a message that has both.
  const anchor = raw.find((m) => m.time !== undefined && m.secondsFromStart !== undefined);
  const base = anchor ? anchor.time! - anchor.secondsFromStart! * 1000 : startedAt;
  const items: Item[] = [];
  raw.forEach((m, i) => {
    const kind = KIND[m.role];
    if (!kind) return; // system prompts and roles voxtrace has no use for
    const time =
      m.time ?? (base !== null && m.secondsFromStart !== undefined ? base + m.secondsFromStart * 1000 : null);
    if (time === null || time < 0) {
      problems.push(`artifact.messages.${i}: no usable time or secondsFromStart (skipped)`);
      return;
    }
    if (kind === 'tool_result' && !m.toolCallId) {
      problems.push(`artifact.messages.${i}: tool_call_result without toolCallId (skipped)`);
      return;
    }
    let endTime = m.endTime ?? null;
    if (endTime !== null && endTime < time) {
      problems.push(`artifact.messages.${i}: endTime before time (end unknown)`);
      endTime = null;
    }
    items.push({
      kind,
      time,
      endTime,
      text: m.message ?? '',
      calls: (m.toolCalls ?? []).map(readToolCall),
      toolCallId: (m.toolCallId ?? '').slice(0, 200),
      name: m.name,
      result: m.result,
    });
  });
  // Stable: messages with the same time keep Vapi's order.
  return items.sort((a, b) => a.time - b.time);
}

function toExchanges(items: readonly Item[]): Exchange[] {
  const out: Exchange[] = [{ users: [], agent: [] }];
  for (const item of items) {
    const cur = out[out.length - 1]!;
    if (item.kind === 'user') {
      if (cur.agent.length) out.push({ users: [item], agent: [] });
      else cur.users.push(item);
    } else cur.agent.push(item);
  }
  return out.filter((x) => x.users.length || x.agent.length);
}

function latencyScale(pm: PerformanceMetrics | undefined): number {
  if (!pm) return 1;
  const values = [
    ...(pm.turnLatencies ?? []).flatMap((t) => [
      t.turnLatency,
      t.modelLatency,
      t.voiceLatency,
      t.transcriberLatency,
      t.endpointingLatency,
    ]),
    pm.turnLatencyAverage,
    pm.modelLatencyAverage,
    pm.voiceLatencyAverage,
    pm.transcriberLatencyAverage,
    pm.endpointingLatencyAverage,
  ].filter((v): v is number => v !== undefined && v > 0);
  return values.length && values.every((v) => v < SECONDS_IF_ALL_BELOW) ? 1000 : 1;
}

function ms(value: number | undefined, scale: number): number | null {
  if (value === undefined || value <= 0) return null;
  return scale === 1 ? value : Math.round(value * scale * 1000) / 1000;
}

/**
 * Matches `turnLatencies` entries to bot turns (exchanges with bot speech) by order. When there is one entry
 * fewer than bot turns and the first bot turn is a greeting (no user before it), the greeting has none.
 */
function matchFigures(
  exchanges: readonly Exchange[],
  pm: PerformanceMetrics | undefined,
  scale: number,
): { byExchange: Map<Exchange, Figures>; mismatch: { entries: number; botTurns: number } | null } {
  const entries = pm?.turnLatencies ?? [];
  const botTurns = exchanges.filter((x) => x.agent.some((i) => i.kind === 'bot'));
  const byExchange = new Map<Exchange, Figures>();
  if (!entries.length) return { byExchange, mismatch: null };
  const offset = entries.length === botTurns.length - 1 && botTurns[0]?.users.length === 0 ? 1 : 0;
  botTurns.forEach((x, i) => {
    const e = entries[i - offset];
    if (!e) return;
    byExchange.set(x, {
      index: i - offset,
      turn: ms(e.turnLatency, scale),
      model: ms(e.modelLatency, scale),
      voice: ms(e.voiceLatency, scale),
      transcriber: ms(e.transcriberLatency, scale),
      endpointing: ms(e.endpointingLatency, scale),
    });
  });
  const matched = entries.length === botTurns.length - offset;
  return { byExchange, mismatch: matched ? null : { entries: entries.length, botTurns: botTurns.length } };
}

function turnEvents(
  exchanges: readonly Exchange[],
  figures: Map<Exchange, Figures>,
  providers: Providers,
  startedAt: number,
): VoiceEvent[] {
  const out: VoiceEvent[] = [];
  let prevBotEnd: number | null = null;
  for (const x of exchanges) {
    emitExchange(x, figures.get(x) ?? null, providers, { startedAt, prevBotEnd }, out);
    const bots = x.agent.filter((i) => i.kind === 'bot');
    if (bots.length) prevBotEnd = bots[bots.length - 1]!.endTime;
  }
  return out;
}

function emitExchange(
  x: Exchange,
  f: Figures | null,
  providers: Providers,
  ctx: { startedAt: number; prevBotEnd: number | null },
  out: VoiceEvent[],
): void {
  x.users.forEach((u, i) => {
    // The caller spoke before the agent's last words ended: a barge-in on the previous turn.
    if (i === 0 && ctx.prevBotEnd !== null && u.time < ctx.prevBotEnd)
      out.push({ type: 'user.interrupted', at: u.time });
    out.push({ type: 'user.speech.started', at: u.time });
    if (u.endTime !== null) out.push({ type: 'user.speech.ended', at: u.endTime });
  });
  const lo = x.users[x.users.length - 1]?.endTime ?? null;
  const userText = x.users
    .map((u) => u.text)
    .filter(Boolean)
    .join(' ');
  const firstBot = x.agent.find((i) => i.kind === 'bot') ?? null;
  const hi = firstBot?.time ?? null;
  const firstTools = x.agent.find((i) => i.kind === 'tool_calls') ?? null;
  const limit = minOf(hi, firstTools?.time ?? null);
  let llmOpen = false;
  let llmFirstToken = false;

  const at = (t: number) => clamp(t, lo, limit);
  let cursor = lo;
  if (lo !== null && f?.endpointing) {
    cursor = at(lo + f.endpointing);
    out.push({ type: 'turn.end_detected', at: cursor, delayMs: f.endpointing });
  }
  const lastUser = x.users[x.users.length - 1];
  if (lastUser) {
    // The transcript is always recorded (a turn without one reads as an STT outage). Without Vapi's
    // figure it lands at the end of speech, where core counts 0 ms: see the README on unknown STT latency.
    if (cursor !== null && f?.transcriber) {
      cursor = at(cursor + f.transcriber);
      out.push({
        type: 'stt.final',
        at: cursor,
        transcript: userText,
        latencyMs: f.transcriber,
        ...providers.stt,
      });
    } else
      out.push({
        type: 'stt.final',
        at: lo ?? lastUser.time,
        transcript: userText,
        latencyMs: null, // Vapi gave no transcriber latency: unknown, not zero
        ...providers.stt,
      });
  }
  if (cursor !== null && x.agent.length) {
    // The model's start is known when Vapi gives its latency or a tool call ends its first pass.
    if (f?.model || firstTools) {
      const start = at(cursor);
      out.push({ type: 'llm.started', at: start, ...(userText && { input: userText }), ...providers.llm });
      llmOpen = true;
      if (f?.model) {
        out.push({ type: 'llm.first_token', at: at(start + f.model), ...providers.llm });
        llmFirstToken = true;
      }
    }
  }

  const names = new Map<string, string>();
  x.agent.forEach((item, i) => {
    if (item.kind === 'tool_calls') {
      // The model's pass ends when it emits the tool call.
      if (llmOpen) out.push({ type: 'llm.ended', at: item.time });
      llmOpen = false;
      for (const c of item.calls) {
        names.set(c.id, c.name);
        out.push({ type: 'tool.started', at: item.time, name: c.name, callId: c.id, arguments: c.arguments });
      }
    } else if (item.kind === 'tool_result') {
      const name = toolName(item.name ?? names.get(item.toolCallId));
      out.push({ type: 'tool.ended', at: item.time, name, callId: item.toolCallId, result: item.result });
      // After the last result of a batch, Vapi calls the model again with the results.
      const next = x.agent[i + 1];
      if (next && next.kind !== 'tool_result' && !llmOpen) {
        out.push({ type: 'llm.started', at: item.time, ...providers.llm });
        llmOpen = true;
        llmFirstToken = false;
      }
    } else if (item.kind === 'bot') {
      if (item === firstBot && hi !== null) {
        if (f?.voice) {
          const floor = maxOf(maxOf(lo, x.agent[i - 1]?.time ?? null), ctx.startedAt);
          const ttsAt = clamp(hi - f.voice, floor, hi);
          // The voice starts on the model's first tokens.
          if (llmOpen && !llmFirstToken) out.push({ type: 'llm.first_token', at: ttsAt, ...providers.llm });
          llmFirstToken = true;
          out.push({ type: 'tts.started', at: ttsAt, ...providers.tts });
          out.push({ type: 'tts.first_audio', at: hi, ...providers.tts });
        }
        out.push({ type: 'agent.speech.started', at: hi, ...(f && { attributes: figureAttributes(f) }) });
      } else out.push({ type: 'agent.speech.started', at: item.time });
      if (item.endTime !== null) out.push({ type: 'agent.speech.ended', at: item.endTime });
    }
  });
}

function figureAttributes(f: Figures): EventAttributes {
  const a: EventAttributes = { [VAPI_TURN_ATTR.turnLatencyIndex]: f.index };
  if (f.turn !== null) a[VAPI_TURN_ATTR.turnLatencyMs] = f.turn;
  if (f.model !== null) a[VAPI_TURN_ATTR.modelLatencyMs] = f.model;
  if (f.voice !== null) a[VAPI_TURN_ATTR.voiceLatencyMs] = f.voice;
  if (f.transcriber !== null) a[VAPI_TURN_ATTR.transcriberLatencyMs] = f.transcriber;
  if (f.endpointing !== null) a[VAPI_TURN_ATTR.endpointingLatencyMs] = f.endpointing;
  return a;
}

/** Call-level attributes of a report: success evaluation, costs, Vapi's averages and interruption counts. */
function reportAttributes(
  report: VapiEndOfCallReport,
  pm: PerformanceMetrics | undefined,
  scale: number,
): EventAttributes {
  const a: EventAttributes = {};
  const se = report.analysis?.successEvaluation;
  if (se !== undefined && se !== null) a[VAPI_CALL_ATTR.successEvaluation] = String(se).slice(0, 200);
  Object.assign(a, costAttributes(report));
  if (pm) {
    for (const [field, key] of Object.entries(VAPI_AVERAGE_ATTR)) {
      const v = pm[field as keyof typeof VAPI_AVERAGE_ATTR];
      // Transport averages are documented in milliseconds; the others follow the report's unit.
      const value = field.includes('Transport') ? ms(v, 1) : ms(v, scale);
      if (value !== null) a[key] = value;
    }
    if (pm.numUserInterrupted !== undefined) a[VAPI_CALL_ATTR.numUserInterrupted] = pm.numUserInterrupted;
    if (pm.numAssistantInterrupted !== undefined)
      a[VAPI_CALL_ATTR.numAssistantInterrupted] = pm.numAssistantInterrupted;
  }
  return a;
}

const COST_TYPES: Record<string, keyof typeof VAPI_COST_ATTR> = {
  transport: 'transport',
  transcriber: 'stt',
  model: 'llm',
  voice: 'tts',
  vapi: 'vapi',
  analysis: 'analysis',
  'knowledge-base': 'knowledgeBase',
  'voicemail-detection': 'voicemailDetection',
};

/** USD costs and usage from `call.costBreakdown`, else summed from `costs`. */
function costAttributes(report: VapiEndOfCallReport): EventAttributes {
  const a: EventAttributes = {};
  const put = (key: keyof typeof VAPI_COST_ATTR, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) a[VAPI_COST_ATTR[key]] = v;
  };
  const b = report.call?.costBreakdown;
  if (b) {
    put('transport', b.transport);
    put('stt', b.stt);
    put('llm', b.llm);
    put('tts', b.tts);
    put('vapi', b.vapi);
    put('chat', b.chat);
    put('llmPromptTokens', b.llmPromptTokens);
    put('llmCompletionTokens', b.llmCompletionTokens);
    put('llmCachedPromptTokens', b.llmCachedPromptTokens);
    put('ttsCharacters', b.ttsCharacters);
  } else if (report.costs?.length) {
    const sums = new Map<keyof typeof VAPI_COST_ATTR, number>();
    const add = (key: keyof typeof VAPI_COST_ATTR, v: number | undefined) => {
      if (v !== undefined) sums.set(key, (sums.get(key) ?? 0) + v);
    };
    for (const c of report.costs) {
      const key = COST_TYPES[c.type];
      if (key) add(key, c.cost);
      if (c.type === 'model') {
        add('llmPromptTokens', c.promptTokens);
        add('llmCompletionTokens', c.completionTokens);
        add('llmCachedPromptTokens', c.cachedPromptTokens);
      }
      if (c.type === 'voice') add('ttsCharacters', c.characters);
    }
    for (const [k, v] of sums) put(k, v);
  }
  put('total', report.cost ?? report.call?.cost ?? b?.total);
  return a;
}

function clamp(t: number, lo: number | null, hi: number | null): number {
  return Math.min(Math.max(t, lo ?? -Infinity), hi ?? Infinity);
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/**
 * Live Vapi messages (server messages during the call, or the web SDK's client messages) → voice events of
 * one call. Pure translation plus the little state a call needs (open tools, the current model turn).
 *
 * | message | event |
 * |---|---|
 * | `speech-update` user started / stopped | `user.speech.started` / `user.speech.ended` |
 * | `speech-update` assistant started / stopped, `assistant.speechStarted` | `agent.speech.started` (once per assistant turn, whichever comes first) / `agent.speech.ended` |
 * | `transcript` (user; final / partial) | `stt.final` / `stt.partial` |
 * | first `model-output` of a model turn | `llm.first_token` (the request's start is not sent: kept unknown) |
 * | `voice-input` | `tts.started` |
 * | `user-interrupted` | `user.interrupted` |
 * | `tool-calls`, legacy `function-call`, `tool_calls` in `conversation-update` | `tool.started` |
 * | `tool_call_result` in `conversation-update` (Vapi's time of the result) | `tool.ended` (with your answer's result and error) |
 * | your `tool-calls` answer | kept until Vapi's time of the result comes; `tool.ended` at the answer if it never does |
 * | `hang` | `error` (recoverable, layer of what the call waits on) |
 *
 * Live turns need transcripts: Vapi's default `serverMessages` include `speech-update` but not `transcript`,
 * and turns without transcripts would read as an STT outage (zero ASR output is a SEV-1). So a call's turn
 * events are held back (bounded) until its first `transcript` message proves transcripts are subscribed;
 * then they are recorded and the live path owns the call's turns. A call that never sends one gets its turns
 * from its report. `hang` errors are recorded at once either way.
 */
import type { ConversationHandle, ErrorLayer, VoiceEvent } from '@voxtrace/core';
import type { z } from 'zod';
import { VAPI_TURN_ATTR } from './attributes.js';
import { type Providers, readProviders, readToolCall, type ToolCallInfo, toolName } from './call.js';
import type {
  conversationUpdateSchema,
  functionCallSchema,
  modelOutputSchema,
  speechUpdateSchema,
  toolCallsSchema,
  transcriptSchema,
  VapiMessage,
  voiceInputSchema,
} from './schemas.js';

/** State of one call seen live. */
export interface LiveCall {
  readonly conv: ConversationHandle;
  /** The call sends transcripts: its live turn events are recorded, and it owns its turns. */
  ownsTurns: boolean;
  /** Turn events held back until the first transcript; `null` once released, or given up (too many). */
  held: VoiceEvent[] | null;
  /** Tool calls started live, by id. */
  readonly tools: Map<string, LiveTool>;
  /**
   * The assistant is speaking (`speech-update` and `assistant.speechStarted` both say it starts; the latter
   * once per TTS chunk): further starts are the same fact.
   */
  agentSpeaking: boolean;
  /** `turn` of the current (or last) assistant turn, when a start said it. */
  agentTurn: number | null;
  /** The call sends the assistant's `speech-update`s: its stops end the assistant's turns. */
  agentSpeechUpdates: boolean;
  /** `turnId` of the last model output that opened a model turn. */
  modelTurnId: string | null;
  /** The user stopped speaking and no model output came since. */
  awaitingModel: boolean;
  /** The voice was asked to speak and the assistant has not started. */
  voicePending: boolean;
  hangs: number;
  /** `status-update: ended` seen: Vapi's reason and the call's end. */
  ended: { reason: string | null; at: number } | null;
  /** The fatal error of the endedReason was recorded. */
  fatalRecorded: boolean;
  timer: ReturnType<typeof setTimeout> | null;
  providers: Providers | null;
}

/** A new call state. */
export function newLiveCall(conv: ConversationHandle): LiveCall {
  return {
    conv,
    ownsTurns: false,
    held: [],
    tools: new Map(),
    agentSpeaking: false,
    agentTurn: null,
    agentSpeechUpdates: false,
    modelTurnId: null,
    awaitingModel: false,
    voicePending: false,
    hangs: 0,
    ended: null,
    fatalRecorded: false,
    timer: null,
    providers: null,
  };
}

/** A tool call started live. */
export interface LiveTool {
  name: string;
  ended: boolean;
  /** Your server's answer, kept until Vapi says when it got the result. */
  answer: { at: number; result?: unknown; error?: string } | null;
}

/** On a tool span ended at your server's answer, because Vapi's time of the result never came. */
const TOOL_ENDED_AT_ANSWER = { [VAPI_TURN_ATTR.toolTiming]: 'server_answer' };

/** Turn events held back per call before its first transcript, at most. */
const MAX_HELD = 500;

/**
 * The voice events to record now for a live message at `at` (epoch ms), including held-back ones the
 * message releases. Updates `call`; never throws on a validated message.
 */
export function liveEvents(call: LiveCall, message: VapiMessage, at: number): VoiceEvent[] {
  if (message.assistant && !call.providers) call.providers = readProviders(message);
  // The first transcript proves the call sends them, unless too much was held before it (turns would be partial).
  if (message.type.startsWith('transcript') && !call.ownsTurns && call.held) {
    call.ownsTurns = true;
    const held = call.held;
    call.held = null;
    return [...held, ...translate(call, message, at)];
  }
  return admit(call, translate(call, message, at));
}

/** Events to record now: all once the call owns its turns, else only errors (the rest is held back). */
function admit(call: LiveCall, events: VoiceEvent[]): VoiceEvent[] {
  if (call.ownsTurns) return events;
  const now: VoiceEvent[] = [];
  for (const e of events) {
    if (e.type === 'error') now.push(e);
    else if (call.held) {
      call.held.push(e);
      if (call.held.length > MAX_HELD) call.held = null; // no transcripts coming: the report has the turns
    }
  }
  return now;
}

function translate(call: LiveCall, message: VapiMessage, at: number): VoiceEvent[] {
  const type = message.type;
  if (type === 'hang') return [hangEvent(call, at)];
  const p = call.providers ?? { llm: {}, stt: {}, tts: {} };
  switch (type) {
    case 'speech-update':
      return speech(call, message as z.infer<typeof speechUpdateSchema>, at);
    case 'assistant.speechStarted':
      return agentStarted(call, (message as { turn?: number }).turn, at);
    case 'model-output': {
      const m = message as z.infer<typeof modelOutputSchema>;
      const newTurn = m.turnId !== undefined ? m.turnId !== call.modelTurnId : call.awaitingModel;
      if (!newTurn) return [];
      call.modelTurnId = m.turnId ?? call.modelTurnId;
      call.awaitingModel = false;
      return [{ type: 'llm.first_token', at, ...p.llm }];
    }
    case 'voice-input': {
      const m = message as z.infer<typeof voiceInputSchema>;
      call.voicePending = true;
      return [{ type: 'tts.started', at, ...p.tts, ...(m.input !== undefined && { text: m.input }) }];
    }
    case 'user-interrupted':
      return [{ type: 'user.interrupted', at }];
    case 'tool-calls':
      return toolStarts(call, toolCallsOf(message as z.infer<typeof toolCallsSchema>), at);
    case 'function-call': {
      const fc = (message as z.infer<typeof functionCallSchema>).functionCall;
      return toolStarts(
        call,
        [{ id: functionCallId(at), name: toolName(fc.name), arguments: fc.parameters }],
        at,
      );
    }
    case 'conversation-update':
      return conversationTools(call, message as z.infer<typeof conversationUpdateSchema>);
    default:
      if (type.startsWith('transcript'))
        return transcript(message as z.infer<typeof transcriptSchema>, type, at, p);
      return [];
  }
}

/** The id a legacy `function-call` (which has none) gets, so its answer can end it. */
export function functionCallId(at: number): string {
  return `function-call-${at}`;
}

/** The results of a `tool-calls` answer or client result (`{ results: [{ toolCallId, result?, error? }] }`). */
function answerResults(response: unknown): { id: string; result?: unknown; error?: string }[] {
  const results =
    response && typeof response === 'object' ? (response as { results?: unknown }).results : null;
  if (!Array.isArray(results)) return [];
  return results.flatMap((r) => {
    if (!r || typeof r !== 'object') return [];
    const { toolCallId, result, error } = r as { toolCallId?: unknown; result?: unknown; error?: unknown };
    if (typeof toolCallId !== 'string') return [];
    return [
      {
        id: toolCallId,
        ...(result !== undefined && { result }),
        ...(typeof error === 'string' && error && { error: error.slice(0, 10_000) }),
      },
    ];
  });
}

/** `tool.ended` events at `at` for results observed where they arrive (the web client's own messages). */
export function toolResultEvents(call: LiveCall, response: unknown, at: number): VoiceEvent[] {
  const out: VoiceEvent[] = [];
  for (const r of answerResults(response)) {
    const ended = toolEnd(call, r.id, at, r.result, r.error);
    if (ended) out.push(ended);
  }
  return admit(call, out);
}

/**
 * Keeps your server's answer to `tool-calls` (given at `at`): the tool ends when Vapi's
 * `conversation-update` (or the report) says when Vapi got the result, which includes the way back.
 * Returns how many open tool calls it answered.
 */
export function noteToolAnswer(call: LiveCall, response: unknown, at: number): number {
  let noted = 0;
  for (const r of answerResults(response)) {
    const tool = call.tools.get(r.id);
    if (!tool || tool.ended || tool.answer) continue;
    tool.answer = {
      at,
      ...(r.result !== undefined && { result: r.result }),
      ...(r.error && { error: r.error }),
    };
    noted++;
  }
  return noted;
}

/** Ends at your server's answer the tool calls whose result time Vapi never sent (the call is ending). */
export function settleToolAnswers(call: LiveCall): VoiceEvent[] {
  const out: VoiceEvent[] = [];
  for (const [id, tool] of call.tools) {
    if (tool.ended || !tool.answer) continue;
    const ended = toolEnd(call, id, tool.answer.at, tool.answer.result, tool.answer.error);
    if (ended) out.push({ ...ended, attributes: TOOL_ENDED_AT_ANSWER });
  }
  return admit(call, out);
}

/** `tool.ended` for a legacy `function-call` answer (`{ result }`). */
export function functionResultEvents(
  call: LiveCall,
  id: string,
  response: unknown,
  at: number,
): VoiceEvent[] {
  const result =
    response && typeof response === 'object' ? (response as { result?: unknown }).result : undefined;
  const ended = toolEnd(call, id, at, result);
  return admit(call, ended ? [ended] : []);
}

function speech(
  call: LiveCall,
  m: { status: string; role: string; turn?: number },
  at: number,
): VoiceEvent[] {
  const started = m.status === 'started';
  if (!started && m.status !== 'stopped') return [];
  if (m.role === 'user') {
    if (started)
      call.agentSpeaking = false; // the assistant's next words are a new start
    else call.awaitingModel = true;
    return [{ type: started ? 'user.speech.started' : 'user.speech.ended', at }];
  }
  if (m.role === 'assistant') {
    if (started) return agentStarted(call, m.turn, at, true);
    call.agentSpeaking = false;
    return [{ type: 'agent.speech.ended', at }];
  }
  return [];
}

/**
 * The assistant starts speaking, said by `speech-update` and by `assistant.speechStarted` (once per TTS
 * chunk): one `agent.speech.started` per assistant turn, at the first of them. While the assistant speaks,
 * a start is the same fact; when the call sends no assistant `speech-update` (so no stop), a new `turn`
 * number is a new start.
 */
function agentStarted(
  call: LiveCall,
  turn: number | undefined,
  at: number,
  fromSpeechUpdate = false,
): VoiceEvent[] {
  call.voicePending = false;
  if (fromSpeechUpdate) call.agentSpeechUpdates = true;
  const newTurn = turn !== undefined && call.agentTurn !== null && turn !== call.agentTurn;
  const same = call.agentSpeaking
    ? call.agentSpeechUpdates || !newTurn
    : !fromSpeechUpdate && turn !== undefined && turn === call.agentTurn; // a late chunk of a finished turn
  if (turn !== undefined && (!same || call.agentTurn === null)) call.agentTurn = turn;
  if (same) return [];
  call.agentSpeaking = true;
  if (turn === undefined) call.agentTurn = null;
  return [{ type: 'agent.speech.started', at }];
}

function transcript(
  m: { role: string; transcriptType?: string; transcript: string },
  type: string,
  at: number,
  p: Providers,
): VoiceEvent[] {
  if (m.role !== 'user') return []; // the assistant's own audio, transcribed
  const final = m.transcriptType === 'final' || (m.transcriptType === undefined && type.includes('final'));
  return [{ type: final ? 'stt.final' : 'stt.partial', at, transcript: m.transcript, ...p.stt }];
}

function toolCallsOf(m: z.infer<typeof toolCallsSchema>): ToolCallInfo[] {
  const calls =
    m.toolCallList ?? m.toolWithToolCallList?.flatMap((t) => (t.toolCall ? [t.toolCall] : [])) ?? [];
  return calls.map(readToolCall);
}

function toolStarts(call: LiveCall, calls: readonly ToolCallInfo[], at: number): VoiceEvent[] {
  const out: VoiceEvent[] = [];
  for (const c of calls) {
    if (call.tools.has(c.id)) continue;
    call.tools.set(c.id, { name: c.name, ended: false, answer: null });
    out.push({ type: 'tool.started', at, name: c.name, callId: c.id, arguments: c.arguments });
  }
  return out;
}

function toolEnd(
  call: LiveCall,
  id: string,
  at: number,
  result: unknown,
  error?: string,
): VoiceEventOfToolEnded | null {
  const tool = call.tools.get(id);
  if (!tool || tool.ended) return null;
  tool.ended = true;
  return {
    type: 'tool.ended',
    at,
    name: tool.name,
    callId: id,
    ...(result !== undefined && { result }),
    ...(error && { error }),
  };
}

type VoiceEventOfToolEnded = Extract<VoiceEvent, { type: 'tool.ended' }>;

/** Tool calls and results from the call's messages so far (the artifact-shaped `messages`). */
function conversationTools(call: LiveCall, m: z.infer<typeof conversationUpdateSchema>): VoiceEvent[] {
  const out: VoiceEvent[] = [];
  for (const item of m.messages ?? []) {
    if (item.time === undefined) continue;
    if (item.role === 'tool_calls')
      out.push(...toolStarts(call, (item.toolCalls ?? []).map(readToolCall), item.time));
    else if (item.role === 'tool_call_result' && item.toolCallId) {
      // Vapi's time of the result; the answer your server gave (if it went through the handler) says more.
      const answer = call.tools.get(item.toolCallId)?.answer;
      const result = answer && 'result' in answer ? answer.result : item.result;
      const ended = toolEnd(call, item.toolCallId, item.time, result, answer?.error);
      if (ended) out.push(ended);
    }
  }
  return out;
}

/**
 * `hang`: Vapi says the assistant is stalling (the model, the voice, or your tool server is too slow). It
 * becomes a recoverable `error` of the layer the call is waiting on: an open tool call → `tool`, a voice
 * request not yet spoken → `tts`, else the model → `llm`.
 */
function hangEvent(call: LiveCall, at: number): VoiceEvent {
  call.hangs++;
  const layer: ErrorLayer = [...call.tools.values()].some((t) => !t.ended)
    ? 'tool'
    : call.voicePending
      ? 'tts'
      : 'llm';
  return {
    type: 'error',
    at,
    layer,
    message: `vapi hang: the assistant is stalling, waiting on the ${layer === 'tool' ? 'tool server' : layer === 'tts' ? 'voice' : 'model'}`,
    recoverable: true,
    attributes: { [VAPI_TURN_ATTR.hang]: true },
  };
}

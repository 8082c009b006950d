/**
 * Live Vapi messages (server messages during the call, or the web SDK's client messages) → voice events of
 * one call. Pure translation plus the little state a call needs (open tools, the current model turn).
 *
 * | message | event |
 * |---|---|
 * | `speech-update` user started / stopped | `user.speech.started` / `user.speech.ended` |
 * | `speech-update` assistant started / stopped, `assistant.speechStarted` | `agent.speech.started` / `agent.speech.ended` |
 * | `transcript` (user; final / partial) | `stt.final` / `stt.partial` |
 * | first `model-output` of a model turn | `llm.first_token` (the request's start is not sent: kept unknown) |
 * | `voice-input` | `tts.started` |
 * | `user-interrupted` | `user.interrupted` |
 * | `tool-calls`, legacy `function-call`, `tool_calls` in `conversation-update` | `tool.started` |
 * | `tool_call_result` in `conversation-update`, the `tool-calls` answer | `tool.ended` |
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
  readonly tools: Map<string, { name: string; ended: boolean }>;
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
      call.voicePending = false;
      return [{ type: 'agent.speech.started', at }];
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

/** `tool.ended` events for a `tool-calls` answer (`{ results: [{ toolCallId, result?, error? }] }`). */
export function toolResultEvents(call: LiveCall, response: unknown, at: number): VoiceEvent[] {
  if (!response || typeof response !== 'object') return [];
  const results = (response as { results?: unknown }).results;
  if (!Array.isArray(results)) return [];
  const out: VoiceEvent[] = [];
  for (const r of results) {
    if (!r || typeof r !== 'object') continue;
    const { toolCallId, result, error } = r as { toolCallId?: unknown; result?: unknown; error?: unknown };
    if (typeof toolCallId !== 'string') continue;
    const ended = toolEnd(call, toolCallId, at, result);
    if (!ended) continue;
    if (typeof error === 'string' && error) ended.error = error.slice(0, 10_000);
    out.push(ended);
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

function speech(call: LiveCall, m: { status: string; role: string }, at: number): VoiceEvent[] {
  const started = m.status === 'started';
  if (!started && m.status !== 'stopped') return [];
  if (m.role === 'user') {
    if (!started) call.awaitingModel = true;
    return [{ type: started ? 'user.speech.started' : 'user.speech.ended', at }];
  }
  if (m.role === 'assistant') {
    if (started) call.voicePending = false;
    return [{ type: started ? 'agent.speech.started' : 'agent.speech.ended', at }];
  }
  return [];
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
    call.tools.set(c.id, { name: c.name, ended: false });
    out.push({ type: 'tool.started', at, name: c.name, callId: c.id, arguments: c.arguments });
  }
  return out;
}

function toolEnd(call: LiveCall, id: string, at: number, result: unknown): VoiceEventOfToolEnded | null {
  const tool = call.tools.get(id);
  if (!tool || tool.ended) return null;
  tool.ended = true;
  return { type: 'tool.ended', at, name: tool.name, callId: id, ...(result !== undefined && { result }) };
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
      const ended = toolEnd(call, item.toolCallId, item.time, item.result);
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

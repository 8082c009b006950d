/**
 * Live turns from Retell's custom-LLM WebSocket (`{llm_websocket_url}/{call_id}`). Retell's frames carry
 * no timestamps, so every event is stamped on receipt (incoming) or on `send` (outgoing).
 *
 * | frame | event |
 * |---|---|
 * | `response_required` (id N) | `user.speech.ended` + `llm.started` (a new user turn) |
 * | `reminder_required` (id N) | `llm.started` (the agent nudges a silent user) |
 * | first outgoing `response` N with content | `llm.first_token` (TTFT) |
 * | outgoing `response` N, `content_complete` | `llm.ended` |
 * | newer id, or a user turn, before completion | `llm.ended { cancelled }` |
 * | outgoing `tool_call_invocation` / `tool_call_result` | `tool.started` / `tool.ended` |
 * | `update_only`: a new user utterance | `user.speech.started` |
 * | `update_only`: `turntaking: agent_turn` / `user_turn` | `agent.speech.started` / `agent.speech.ended` |
 *
 * Outgoing frames are seen by wrapping the socket's `send` (the wrapper only observes, then calls the
 * original with the same arguments), or, with `outgoing: 'manual'`, through `observeOutgoing`.
 */
import {
  type ConversationHandle,
  checkFactoryArguments,
  describeError,
  type DiagnosticHandler,
  MAX_CONTENT_CHARS,
  type VoiceEvent,
  type Voxtrace,
} from '@voxtrace/core';
import { callStartAttributes } from './call-attributes.js';
import { retellCallsFor } from './calls.js';
import { retellCallSchema, retellLlmRequestSchema, retellLlmResponseSchema } from './schema.js';

/** The parts of a `ws` WebSocket (or any EventEmitter-style socket) the instrumentation uses. */
export interface RetellLlmSocketLike {
  on(event: 'message', listener: (data: unknown, isBinary?: boolean) => void): unknown;
  on(event: 'close', listener: (code?: number, reason?: unknown) => void): unknown;
  prependListener?(event: 'message', listener: (data: unknown, isBinary?: boolean) => void): unknown;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a listener of any EventEmitter-style socket
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
  send(data: unknown, ...rest: unknown[]): unknown;
}

/** Options of {@link instrumentRetellLlmSocket}. */
export interface InstrumentRetellLlmSocketOptions {
  /** Retell's call id: the last path segment of the URL Retell connected to. */
  callId: string;
  /**
   * How outgoing frames are seen: `wrap` (default) wraps `ws.send`; `manual` leaves the socket alone
   * and you pass each frame you send to `observeOutgoing`.
   */
  outgoing?: 'wrap' | 'manual';
  /**
   * When the socket closes: `end` ends the conversation; `await-webhook` leaves it for `call_ended` /
   * `call_analyzed` (with a `webhookWaitMs` fallback). Default: `await-webhook` when a Retell webhook
   * handler is attached to the same voxtrace, else `end`.
   */
  onClose?: 'end' | 'await-webhook';
  /** Your LLM's provider and model, for the `llm` spans. */
  provider?: string;
  model?: string;
  /** Clock, epoch ms (use the one you gave `createVoxtrace`, if any). Default `Date.now`. */
  now?: () => number;
  /** Adapter diagnostics (unreadable frames). Must not throw. */
  onDiagnostic?: DiagnosticHandler;
}

/** What {@link instrumentRetellLlmSocket} returns. */
export interface RetellLlmSocketInstrumentation {
  /** The call's conversation (shared with the webhook handler in this process). */
  readonly conversation: ConversationHandle;
  /** Observes a frame you send to Retell (a JSON string, bytes or the object). For `outgoing: 'manual'`. */
  observeOutgoing(frame: unknown): void;
  /** Stops observing and restores `send`. The conversation is left as it is. */
  detach(): void;
}

// Close codes of an orderly end: normal, going away, no status.
const NORMAL_CLOSE = new Set([1000, 1001, 1005]);

interface Response {
  id: number;
  firstToken: boolean;
  complete: boolean;
  output: string;
}

/**
 * Instruments a custom-LLM WebSocket your server accepted for Retell call `callId`: live `llm` spans with
 * TTFT, tool spans and the user's turns, in the same conversation (and trace) as the call's webhooks.
 * Never throws into your message handlers, and never changes what is sent.
 */
export function instrumentRetellLlmSocket(
  ws: RetellLlmSocketLike,
  vt: Voxtrace,
  options: InstrumentRetellLlmSocketOptions,
): RetellLlmSocketInstrumentation {
  checkFactoryArguments('instrumentRetellLlmSocket', vt, options);
  if (typeof ws?.on !== 'function' || typeof ws.send !== 'function')
    throw new TypeError('instrumentRetellLlmSocket: the socket must be a WebSocket (on, send)');
  if (typeof options?.callId !== 'string' || options.callId === '')
    throw new TypeError('instrumentRetellLlmSocket: options.callId is required');
  const calls = retellCallsFor(vt);
  const removeDiagnostics = options.onDiagnostic ? calls.onDiagnostic(options.onDiagnostic) : () => {};
  const now = options.now ?? Date.now;
  const openedAt = now();
  const entry = calls.socketOpened(options.callId);
  const conv = entry.conv;
  const llm = { provider: options.provider, model: options.model };

  let current: Response | null = null;
  let began = false; // a response was started on this socket (the begin message is timed from the open)
  let agentSpeaking = false;
  let userSpeaking = false;
  let userKey: string | null = null;
  const tools = new Map<string, string>();

  const record = (event: VoiceEvent, at: number) => {
    if (conv.ended) return;
    conv.record({ ...event, at } as VoiceEvent);
    calls.liveEvent(entry, at);
  };
  const diagnose = (message: string, detail?: unknown) =>
    calls.diagnose({
      code: 'adapter_error',
      message: `Retell LLM socket ${options.callId}: ${message}`,
      conversationId: options.callId,
      detail,
    });

  const start = (id: number, at: number, kind: string, input?: string) => {
    current = { id, firstToken: false, complete: false, output: '' };
    began = true;
    record(
      {
        type: 'llm.started',
        ...llm,
        ...(input ? { input } : {}),
        attributes: { 'retell.response_id': id, 'retell.interaction_type': kind },
      },
      at,
    );
  };
  const cancel = (reason: string, at: number) => {
    if (!current || current.complete) return;
    current.complete = true;
    record(
      {
        type: 'llm.ended',
        cancelled: true,
        ...(current.output ? { output: current.output } : {}),
        attributes: { 'retell.cancel_reason': reason },
      },
      at,
    );
  };
  const agentStopped = (at: number, interrupted: boolean) => {
    if (!agentSpeaking) return;
    agentSpeaking = false;
    record({ type: 'agent.speech.ended', ...(interrupted ? { interrupted } : {}) }, at);
  };
  /** A user utterance not seen before (the last transcript entry, with the one before it as context). */
  const userActivity = (transcript: readonly { role: string; content?: string | null }[], at: number) => {
    const last = transcript.at(-1);
    if (last?.role !== 'user') return;
    const before = transcript.at(-2);
    const key = `${before?.role ?? ''}\u0000${before?.content ?? ''}\u0000${last.content ?? ''}`;
    if (userSpeaking || key === userKey) {
      userKey = key;
      return;
    }
    userKey = key;
    // Speaking over a response still streaming is a barge-in; otherwise the agent had finished.
    agentStopped(at, current !== null && !current.complete);
    if (current && !current.complete) cancel('user_turn', at);
    userSpeaking = true;
    record({ type: 'user.speech.started' }, at);
  };

  const incoming = (data: unknown) => {
    const at = now();
    const msg = toJson(data);
    const parsed = retellLlmRequestSchema.safeParse(msg);
    if (!parsed.success) {
      if (
        msg === undefined ||
        typeof (msg as { interaction_type?: unknown })?.interaction_type !== 'string'
      ) {
        diagnose('unreadable frame from Retell', data);
      } else if (isKnownRequest((msg as { interaction_type: string }).interaction_type)) {
        diagnose(`malformed ${(msg as { interaction_type: string }).interaction_type}`, msg);
      }
      return;
    }
    const m = parsed.data;
    switch (m.interaction_type) {
      case 'ping_pong':
        return;
      case 'call_details': {
        const call = retellCallSchema.safeParse(m.call);
        if (call.success && !conv.ended) conv.setAttributes(callStartAttributes(call.data));
        return;
      }
      case 'update_only':
        userActivity(m.transcript ?? [], at);
        if (m.turntaking === 'user_turn') {
          agentStopped(at, current !== null && !current.complete);
          cancel('user_turn', at);
        } else if (m.turntaking === 'agent_turn' && !agentSpeaking) {
          agentSpeaking = true;
          record({ type: 'agent.speech.started' }, at);
        }
        return;
      case 'response_required': {
        cancel('superseded', at);
        const transcript = m.transcript ?? [];
        userActivity(transcript, at);
        if (userSpeaking) {
          userSpeaking = false;
          record({ type: 'user.speech.ended' }, at);
        }
        const last = transcript.at(-1);
        start(
          m.response_id,
          at,
          m.interaction_type,
          last?.role === 'user' ? (last.content ?? undefined) : undefined,
        );
        return;
      }
      case 'reminder_required':
        cancel('superseded', at);
        start(m.response_id, at, m.interaction_type);
        return;
    }
  };

  const observeOutgoing = (frame: unknown) => {
    try {
      const at = now();
      const msg = typeof frame === 'object' && frame !== null && !isBytes(frame) ? frame : toJson(frame);
      const type = (msg as { response_type?: unknown } | undefined)?.response_type;
      if (type !== 'response' && type !== 'tool_call_invocation' && type !== 'tool_call_result') return;
      const parsed = retellLlmResponseSchema.safeParse(msg);
      if (!parsed.success) return diagnose(`malformed outgoing ${String(type)}`, msg);
      const m = parsed.data;
      if (m.response_type === 'tool_call_invocation') {
        tools.set(m.tool_call_id, m.name);
        record(
          { type: 'tool.started', name: m.name, callId: m.tool_call_id, arguments: m.arguments ?? undefined },
          at,
        );
        return;
      }
      if (m.response_type === 'tool_call_result') {
        const name = tools.get(m.tool_call_id) ?? 'unknown';
        tools.delete(m.tool_call_id);
        record({ type: 'tool.ended', name, callId: m.tool_call_id, result: m.content ?? undefined }, at);
        return;
      }
      const content = m.content ?? '';
      if (current && m.response_id < current.id) return; // a late chunk of a superseded response
      if (!current || m.response_id > current.id) {
        // An empty begin message (`content_complete`, no content) lets the user speak first: nothing to time.
        if (!content) return;
        cancel('superseded', at);
        // The begin message (id 0) is timed from the socket's open: that is when Retell asked for it.
        const begin = !began && m.response_id === 0;
        start(m.response_id, begin ? openedAt : at, begin ? 'begin_message' : 'unsolicited');
      }
      const r = current!;
      if (r.complete) return;
      if (content && !r.firstToken) {
        r.firstToken = true;
        record({ type: 'llm.first_token', ...llm }, at);
      }
      if (r.output.length <= MAX_CONTENT_CHARS) r.output += content;
      if (m.content_complete) {
        r.complete = true;
        const attributes: Record<string, boolean> = {};
        if (m.end_call) attributes['retell.end_call'] = true;
        if (m.transfer_number) attributes['retell.transfer'] = true;
        record({ type: 'llm.ended', ...llm, output: r.output, attributes }, at);
      }
    } catch (err) {
      diagnose(`outgoing frame not observed: ${describeError(err)}`, err);
    }
  };

  const onMessage = (data: unknown) => {
    try {
      incoming(data);
    } catch (err) {
      diagnose(`frame not observed: ${describeError(err)}`, err);
    }
  };

  const original = ws.send;
  const wrapped = function (this: unknown, data: unknown, ...rest: unknown[]) {
    observeOutgoing(data);
    return original.call(this ?? ws, data, ...rest);
  };
  if (options.outgoing !== 'manual') ws.send = wrapped;

  let detached = false;
  const detach = () => {
    if (detached) return;
    detached = true;
    if (ws.send === wrapped) ws.send = original;
    ws.removeListener?.('message', onMessage);
    ws.removeListener?.('close', onClose);
    removeDiagnostics();
  };

  const onClose = (code?: number) => {
    try {
      const at = now();
      cancel('socket_closed', at);
      for (const [id, name] of tools) record({ type: 'tool.ended', name, callId: id, cancelled: true }, at);
      tools.clear();
      agentStopped(at, false);
      detach();
      const failure =
        code === undefined || NORMAL_CLOSE.has(code) ? null : `custom-LLM WebSocket closed with code ${code}`;
      calls.socketClosed(
        entry,
        options.onClose ?? (calls.webhookAttached ? 'await-webhook' : 'end'),
        failure,
      );
    } catch (err) {
      diagnose(`close not observed: ${describeError(err)}`, err);
    }
  };

  // First in line, so a request is seen before your handler answers it.
  if (ws.prependListener) ws.prependListener('message', onMessage);
  else ws.on('message', onMessage);
  ws.on('close', onClose);

  return { conversation: conv, observeOutgoing, detach };
}

function isKnownRequest(type: string): boolean {
  return ['ping_pong', 'call_details', 'update_only', 'response_required', 'reminder_required'].includes(
    type,
  );
}

function isBytes(x: unknown): boolean {
  return typeof x === 'string' || x instanceof ArrayBuffer || ArrayBuffer.isView(x) || Array.isArray(x);
}

/** A frame (text, bytes, fragments) parsed as JSON, or `undefined`. */
function toJson(data: unknown): unknown {
  let text: string;
  if (typeof data === 'string') text = data;
  else if (Buffer.isBuffer(data)) text = data.toString('utf8');
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString('utf8');
  else if (ArrayBuffer.isView(data))
    text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  else if (Array.isArray(data) && data.every((d) => Buffer.isBuffer(d)))
    text = Buffer.concat(data).toString('utf8');
  else return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

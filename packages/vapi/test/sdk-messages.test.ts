/**
 * Live Vapi messages built with `@vapi-ai/server-sdk`'s types (a shape Vapi changes fails to compile):
 * tool spans end at Vapi's time of the result, and the assistant's start, said by both `speech-update`
 * and `assistant.speechStarted`, is one fact.
 */
import type { Vapi } from '@vapi-ai/server-sdk';
import { observeVapiMessage, observeVapiResponse, type VapiObserveOptions } from '@voxtrace/vapi';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.js';

const T0 = 1_760_710_081_020;
const ID = '5b1a3c2e-7d4f-4e8a-9b6c-0d1e2f3a4b5c';
const iso = (t: number) => new Date(T0 + t).toISOString();
const call: Vapi.Call = { id: ID, orgId: 'org', createdAt: iso(0), updatedAt: iso(0), startedAt: iso(0) };
const body = (message: Vapi.ServerMessageMessage): Vapi.ServerMessage => ({ message });

const speech = (
  role: Vapi.ServerMessageSpeechUpdateRole,
  status: Vapi.ServerMessageSpeechUpdateStatus,
  t: number,
  turn?: number,
): Vapi.ServerMessageSpeechUpdate => ({
  type: 'speech-update',
  role,
  status,
  ...(turn !== undefined && { turn }),
  timestamp: T0 + t,
  call,
});
/** One TTS chunk of the assistant's turn (Vapi sends one per chunk while the audio plays). */
const chunk = (t: number, turn: number, text: string): Vapi.ServerMessageAssistantSpeech => ({
  type: 'assistant.speechStarted',
  text,
  turn,
  source: 'model',
  timing: { type: 'word-progress', wordsSpoken: 1, totalWords: 2, segment: text, words: [] },
  timestamp: T0 + t,
  call,
});
const transcript = (t: number, text: string): Vapi.ServerMessageTranscript => ({
  type: 'transcript',
  role: 'user',
  transcriptType: 'final',
  transcript: text,
  timestamp: T0 + t,
  call,
});
const toolCalls = (t: number, id: string): Vapi.ServerMessageToolCalls => ({
  type: 'tool-calls',
  toolCallList: [{ id, type: 'function', function: { name: 'check_order', arguments: '{"order":"42"}' } }],
  toolWithToolCallList: [],
  timestamp: T0 + t,
  call,
});
const toolResult = (t: number, id: string): Vapi.ServerMessageConversationUpdate => ({
  type: 'conversation-update',
  messages: [
    {
      role: 'tool_call_result',
      toolCallId: id,
      name: 'check_order',
      result: 'shipped',
      time: T0 + t,
      secondsFromStart: t / 1000,
    },
  ],
  messagesOpenAIFormatted: [],
  timestamp: T0 + t + 40,
  call,
});
const status = (
  t: number,
  s: Vapi.ServerMessageStatusUpdateStatus,
  endedReason?: Vapi.ServerMessageStatusUpdateEndedReason,
): Vapi.ServerMessageStatusUpdate => ({
  type: 'status-update',
  status: s,
  ...(endedReason && { endedReason }),
  timestamp: T0 + t,
  call,
});

const hs: Harness[] = [];
function make(): Harness {
  const h = harness();
  hs.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(hs.splice(0).map((h) => h.vt.shutdown()));
});

const observe = (h: Harness, m: Vapi.ServerMessageMessage, options?: VapiObserveOptions) =>
  observeVapiMessage(h.vt, body(m), options);

/** A user turn that makes the call own its live turns (it sends transcripts). */
function userTurn(h: Harness, from: number) {
  observe(h, speech('user', 'started', from));
  observe(h, speech('user', 'stopped', from + 1500));
  observe(h, transcript(from + 1600, 'Where is my order?'));
}

describe('tool spans from SDK-typed messages', () => {
  it('end at the tool_call_result time of conversation-update, not when onMessage returned', () => {
    const h = make();
    observe(h, status(0, 'in-progress'));
    userTurn(h, 1000);
    const tools = toolCalls(3000, 'call_1');
    observe(h, tools);
    // Your server answered 2 ms after Vapi's message; Vapi got the result 1.4 s later (network, queueing).
    const answer = { results: [{ toolCallId: 'call_1', result: 'shipped on Monday' }] };
    expect(observeVapiResponse(h.vt, body(tools), answer, { at: T0 + 3002 }).action).toBe('recorded');
    observe(h, toolResult(4400, 'call_1'));
    observe(h, speech('assistant', 'started', 5000));
    observe(h, speech('assistant', 'stopped', 6000));
    const rec = h.vt.getConversation(ID)!.end({ endedAt: T0 + 7000 });
    const tool = rec.turns[0]!.tools[0]!;
    expect(tool).toMatchObject({
      name: 'check_order',
      startedAt: T0 + 3000,
      endedAt: T0 + 4400,
      durationMs: 1400,
    });
    // Your answer's result is what the tool returned (Vapi's copy may be reformatted).
    expect(tool.result).toBe('shipped on Monday');
    expect(tool.attributes['vapi.tool.timing']).toBeUndefined();
  });

  it('an error in your answer fails the span that ends at Vapi’s time', () => {
    const h = make();
    userTurn(h, 1000);
    const tools = toolCalls(3000, 'call_2');
    observe(h, tools);
    observeVapiResponse(h.vt, body(tools), {
      results: [{ toolCallId: 'call_2', error: 'order service down' }],
    });
    observe(h, toolResult(3900, 'call_2'));
    const tool = h.vt.getConversation(ID)!.end().turns[0]!.tools[0]!;
    expect([tool.durationMs, tool.error]).toEqual([900, 'order service down']);
  });

  it('when Vapi never sends the result time, end at your answer and say so', async () => {
    const h = make();
    const done = new Promise((ok) => h.vt.on('conversation', ok));
    const options: VapiObserveOptions = { reportTimeoutMs: 5 };
    userTurn(h, 1000);
    const tools = toolCalls(3000, 'call_3');
    observe(h, tools, options);
    observeVapiResponse(
      h.vt,
      body(tools),
      { results: [{ toolCallId: 'call_3', result: 'ok' }] },
      { at: T0 + 3250 },
    );
    observe(h, status(9000, 'ended', 'customer-ended-call'), options);
    await done;
    const [span] = h.spans('tool_call');
    expect(span?.attributes['vapi.tool.timing']).toBe('server_answer');
    expect(h.conversations[0]!.turns[0]!.tools[0]!.durationMs).toBe(250);
  });
});

describe('speech-update and assistant.speechStarted both subscribed', () => {
  const starts = (h: Harness) =>
    h.turns.flatMap((t) => (t.agentSpeechStartedAt === null ? [] : [t.agentSpeechStartedAt]));

  it('one agent start per turn, at the first of them, and no duplicate_event', () => {
    const h = make();
    const messages: Vapi.ServerMessageMessage[] = [
      status(0, 'in-progress'),
      chunk(400, 0, 'Hi,'), // the chunk can come before the speech-update
      speech('assistant', 'started', 410, 0),
      chunk(900, 0, 'Hi, how can I help?'),
      speech('assistant', 'stopped', 2000, 0),
      chunk(2050, 0, 'Hi, how can I help?'), // a late chunk of the finished turn
      speech('user', 'started', 3000),
      speech('user', 'stopped', 4500),
      transcript(4600, 'Where is my order?'),
      speech('assistant', 'started', 5200), // no turn number here
      chunk(5210, 1, 'It shipped.'),
      chunk(5800, 1, 'It shipped on Monday.'),
      speech('assistant', 'stopped', 7000),
    ];
    for (const m of messages) expect(observe(h, m).ok).toBe(true);
    h.vt.getConversation(ID)!.end({ endedAt: T0 + 8000 });
    expect(h.diagnostics.filter((d) => d.code === 'duplicate_event')).toEqual([]);
    expect(starts(h)).toEqual([T0 + 400, T0 + 5200]);
    expect(h.turns[1]!.e2eLatencyMs).toBe(700);
  });

  it('assistant.speechStarted alone (no assistant speech-update): a new turn number is a new start', () => {
    const h = make();
    const messages: Vapi.ServerMessageMessage[] = [
      chunk(400, 0, 'Hi,'),
      chunk(900, 0, 'Hi, how can I help?'),
      speech('user', 'started', 3000),
      speech('user', 'stopped', 4500),
      transcript(4600, 'Where is my order?'),
      chunk(5300, 1, 'It shipped.'),
      chunk(5900, 1, 'It shipped on Monday.'),
      chunk(9000, 2, 'Anything else?'), // the agent goes on without the user speaking
    ];
    for (const m of messages) observe(h, m);
    h.vt.getConversation(ID)!.end({ endedAt: T0 + 10_000 });
    expect(h.diagnostics.filter((d) => d.code === 'duplicate_event')).toEqual([]);
    expect(h.turns.map((t) => t.agentSpeechStartedAt)).toEqual([T0 + 400, T0 + 5300]);
    expect(h.turns[1]!.agentSpeechStartedAt).toBe(T0 + 5300);
  });
});

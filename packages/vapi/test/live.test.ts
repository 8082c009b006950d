import type { ConversationRecord, VoiceEvent } from '@voxtrace/core';
import { observeVapiMessage, type VapiObserveOptions } from '@voxtrace/vapi';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.js';

const T0 = 1_760_710_081_020;
const ID = '73a6da0f-c455-4bb6-bf4a-5f0634871430';
const call = { id: ID, orgId: 'org', createdAt: 'x', updatedAt: 'x', startedAt: new Date(T0).toISOString() };
const iso = (t: number) => new Date(T0 + t).toISOString();

const m = (type: string, t: number, extra: Record<string, unknown> = {}) => ({
  message: { type, timestamp: T0 + t, call, ...extra },
});
const speech = (role: string, status: string, t: number) => m('speech-update', t, { role, status });
const transcript = (role: string, text: string, t: number) =>
  m('transcript', t, { role, transcriptType: 'final', transcript: text });

/** The live messages of a call: greeting, a tool turn, a goodbye. */
function liveMessages({ transcripts = true } = {}) {
  return [
    m('status-update', 0, { status: 'in-progress' }),
    speech('assistant', 'started', 1440),
    ...(transcripts ? [transcript('assistant', 'Hi there.', 3600)] : []),
    speech('assistant', 'stopped', 3680),
    speech('user', 'started', 20770),
    speech('user', 'stopped', 23000),
    ...(transcripts ? [transcript('user', 'Press two, one, two.', 23200)] : []),
    m('model-output', 24100, { output: 'x', turnId: 't1' }),
    m('model-output', 24150, { output: 'y', turnId: 't1' }),
    m('tool-calls', 25160, {
      toolCallList: [
        { id: 'call_1', type: 'function', function: { name: 'dtmf', arguments: '{"keys":"212"}' } },
      ],
    }),
    m('conversation-update', 26400, {
      messages: [
        {
          role: 'tool_calls',
          time: T0 + 25160,
          toolCalls: [{ id: 'call_1', function: { name: 'dtmf', arguments: '{}' } }],
        },
        { role: 'tool_call_result', time: T0 + 26320, toolCallId: 'call_1', name: 'dtmf', result: 'sent' },
      ],
    }),
    m('voice-input', 27900, { input: 'Done.' }),
    speech('assistant', 'started', 28700),
    speech('assistant', 'stopped', 30800),
    speech('user', 'started', 56620),
    speech('user', 'stopped', 57300),
    ...(transcripts ? [transcript('user', 'Thanks, bye.', 57400)] : []),
    m('status-update', 60000, { status: 'ended', endedReason: 'customer-ended-call' }),
  ];
}

/** The report of the same call. */
function reportMessage() {
  const msg = (role: string, message: string, t: number, end?: number) => ({
    role,
    message,
    time: T0 + t,
    ...(end !== undefined && { endTime: T0 + end }),
    secondsFromStart: t / 1000,
  });
  return m('end-of-call-report', 61000, {
    endedReason: 'customer-ended-call',
    startedAt: iso(0),
    endedAt: iso(60000),
    cost: 0.11,
    analysis: { successEvaluation: 'true' },
    artifact: {
      messages: [
        msg('bot', 'Hi there.', 1440, 3680),
        msg('user', 'Press two, one, two.', 20770, 23000),
        {
          role: 'tool_calls',
          time: T0 + 25160,
          message: '',
          toolCalls: [
            { id: 'call_1', type: 'function', function: { name: 'dtmf', arguments: '{"keys":"212"}' } },
          ],
          secondsFromStart: 25.16,
        },
        {
          role: 'tool_call_result',
          time: T0 + 26320,
          toolCallId: 'call_1',
          name: 'dtmf',
          result: 'sent',
          secondsFromStart: 26.32,
        },
        msg('bot', 'Done.', 28700, 30800),
        msg('user', 'Thanks, bye.', 56620, 57300),
      ],
      performanceMetrics: {
        turnLatencies: [{ turnLatency: 900 }, { turnLatency: 3500, modelLatency: 1100 }],
        turnLatencyAverage: 2200,
      },
    },
  });
}

const hs: Harness[] = [];
function make(): Harness {
  const h = harness();
  hs.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(hs.splice(0).map((h) => h.vt.shutdown()));
});

/** Events the sinks (the monitor is one) receive live. */
function liveSink(h: Harness): VoiceEvent[] {
  const seen: VoiceEvent[] = [];
  h.vt.addSink({ startConversation: () => ({ event: (e) => seen.push(e) }) });
  return seen;
}

function ended(h: Harness): Promise<ConversationRecord> {
  return new Promise((ok) => {
    const off = h.vt.on('conversation', (r) => {
      off();
      ok(r);
    });
  });
}

describe('live messages', () => {
  it('build a live conversation whose turns the monitor sees during the call', () => {
    const h = make();
    const results = liveMessages().map((b) => observeVapiMessage(h.vt, b));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(h.conversations).toHaveLength(0); // still waiting for the report
    h.vt.tick(); // what voxtrace's background timer does: closed turns past their late-event grace are final
    // Finished turns were delivered while the call went on: the greeting and the tool turn.
    expect(h.turns.map((t) => t.index)).toEqual([1, 2]);
    const toolTurn = h.turns[1]!;
    expect(toolTurn.e2eLatencyMs).toBe(28700 - 23000);
    expect(toolTurn.stt?.transcript).toBe('Press two, one, two.');
    expect(toolTurn.stt?.latencyMs).toBe(200);
    expect(toolTurn.llm[0]?.firstTokenAt).toBe(T0 + 24100); // one first token per model turn
    expect(toolTurn.llm).toHaveLength(1);
    expect(toolTurn.tools[0]).toMatchObject({
      name: 'dtmf',
      durationMs: 26320 - 25160,
      arguments: { keys: '212' },
    });
    expect(toolTurn.tts[0]?.startedAt).toBe(T0 + 27900);
  });

  it('followed by the report give one trace with one set of turns', () => {
    const h = make();
    for (const b of liveMessages()) observeVapiMessage(h.vt, b);
    const r = observeVapiMessage(h.vt, reportMessage());
    expect(r.action).toBe('completed');
    expect(r.events).toBe(0); // turns were not replayed
    expect(h.conversations).toHaveLength(1);
    const rec = h.conversations[0]!;
    expect(rec.turnCount).toBe(3);
    expect(h.spans('turn')).toHaveLength(3);
    expect(h.spans('conversation')).toHaveLength(1);
    expect(h.spans('tool_call')).toHaveLength(1);
    expect(rec.endedAt).toBe(T0 + 60000);
    expect(rec.taskCompleted).toBe(true);
    expect(rec.attributes).toMatchObject({
      'vapi.turn_source': 'live',
      'vapi.cost.total_usd': 0.11,
      'vapi.turn_latency_avg_ms': 2200,
    });
  });

  it('without transcripts (Vapi default serverMessages) leave the turns to the report, still one set', () => {
    const h = make();
    const results = liveMessages({ transcripts: false }).map((b) => observeVapiMessage(h.vt, b));
    expect(results.filter((r) => r.action === 'ignored').every((r) => r.reason?.includes('transcript'))).toBe(
      true,
    );
    expect(h.turns).toHaveLength(0);
    const r = observeVapiMessage(h.vt, reportMessage());
    expect(r.events).toBeGreaterThan(0);
    expect(h.conversations).toHaveLength(1);
    const rec = h.conversations[0]!;
    expect(rec.turnCount).toBe(3);
    expect(rec.attributes['vapi.turn_source']).toBe('report');
    expect(rec.turns[1]!.attributes['vapi.turn_latency_ms']).toBe(3500);
    expect(h.spans('turn')).toHaveLength(3);
  });

  it('give up holding back after 500 events: a late first transcript does not make partial live turns', () => {
    const h = make();
    observeVapiMessage(h.vt, m('status-update', 0, { status: 'in-progress' }));
    for (let i = 0; i < 260; i++) {
      observeVapiMessage(h.vt, speech('user', 'started', 100 + i * 50));
      observeVapiMessage(h.vt, speech('user', 'stopped', 120 + i * 50));
    }
    expect(observeVapiMessage(h.vt, transcript('user', 'late', 14000)).action).toBe('ignored');
    const rec = observeVapiMessage(h.vt, reportMessage()).record!;
    expect(rec.attributes['vapi.turn_source']).toBe('report');
    expect(rec.turnCount).toBe(3);
  });

  it('ignore a repeated report', () => {
    const h = make();
    observeVapiMessage(h.vt, reportMessage());
    const again = observeVapiMessage(h.vt, reportMessage());
    expect(again).toMatchObject({ ok: true, action: 'ignored' });
    expect(h.conversations).toHaveLength(1);
    expect(h.spans('turn')).toHaveLength(3);
  });

  it('end the call with the status outcome when the report does not come', async () => {
    const h = make();
    const options: VapiObserveOptions = { reportTimeoutMs: 5 };
    const done = ended(h);
    for (const b of liveMessages()) observeVapiMessage(h.vt, b, options);
    const rec = await done;
    expect(rec.outcome).toBe('completed');
    expect(rec.endedAt).toBe(T0 + 60000);
    expect(rec.turnCount).toBe(3);
    expect(rec.attributes).toMatchObject({
      'vapi.ended_reason': 'customer-ended-call',
      'vapi.turn_source': 'live',
    });
    // A report after that is not recorded a second time.
    expect(observeVapiMessage(h.vt, reportMessage(), options).action).toBe('ignored');
    expect(h.spans('conversation')).toHaveLength(1);
  });

  it('record a failed call as it ends, once', () => {
    const h = make();
    const seen = liveSink(h);
    const reason = 'pipeline-error-deepgram-transcriber-failed';
    observeVapiMessage(h.vt, m('status-update', 0, { status: 'in-progress' }));
    observeVapiMessage(h.vt, m('status-update', 5000, { status: 'ended', endedReason: reason }));
    expect(seen).toEqual([
      {
        type: 'error',
        at: T0 + 5000,
        layer: 'stt',
        message: `vapi endedReason: ${reason}`,
        recoverable: false,
      },
    ]);
    const rec = observeVapiMessage(
      h.vt,
      m('end-of-call-report', 6000, { endedReason: reason, artifact: { messages: [] } }),
    ).record!;
    expect(rec.outcome).toBe('error');
    expect(rec.errors).toHaveLength(1);
  });
});

describe('hang', () => {
  it('reaches the sinks at once as a recoverable error of the layer the call waits on', () => {
    const h = make();
    const seen = liveSink(h);
    for (const b of liveMessages().slice(0, 10)) observeVapiMessage(h.vt, b); // up to the tool call
    observeVapiMessage(h.vt, m('hang', 25500));
    const hang = seen.filter((e) => e.type === 'error');
    expect(hang).toEqual([
      {
        type: 'error',
        at: T0 + 25500,
        layer: 'tool',
        message: 'vapi hang: the assistant is stalling, waiting on the tool server',
        recoverable: true,
        attributes: { 'vapi.hang': true },
      },
    ]);
    const r = observeVapiMessage(h.vt, reportMessage());
    expect(r.record!.attributes['vapi.hang.count']).toBe(1);
    const turn = r.record!.turns[1]!;
    expect(turn.errors).toMatchObject([{ layer: 'tool', recoverable: true }]);
    expect(h.spans('turn').some((s) => s.attributes['vapi.hang'] === true)).toBe(true);
  });

  it('is an llm stall when nothing else is pending, even before any turn', () => {
    const h = make();
    const seen = liveSink(h);
    observeVapiMessage(h.vt, m('status-update', 0, { status: 'in-progress' }));
    observeVapiMessage(h.vt, m('hang', 1000));
    expect(seen).toMatchObject([{ type: 'error', layer: 'llm', recoverable: true }]);
  });
});

describe('messages of one call reaching different processes', () => {
  it('turnSource "report" everywhere: only the report process records the call', () => {
    const live = make();
    const post = make();
    const options: VapiObserveOptions = { turnSource: 'report' };
    for (const b of liveMessages()) expect(observeVapiMessage(live.vt, b, options).action).toBe('ignored');
    observeVapiMessage(post.vt, reportMessage(), options);
    const spans = [...live.spans(), ...post.spans()];
    expect(spans.filter((s) => s.name === 'conversation')).toHaveLength(1);
    expect(spans.filter((s) => s.name === 'turn')).toHaveLength(3);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });

  it('turnSource "live" everywhere: turns only from the live process, the report adds a call record', async () => {
    const live = make();
    const post = make();
    const options: VapiObserveOptions = { turnSource: 'live', reportTimeoutMs: 5 };
    const done = ended(live);
    for (const b of liveMessages()) observeVapiMessage(live.vt, b, options);
    const r = observeVapiMessage(post.vt, reportMessage(), options);
    expect(r.events).toBe(0);
    expect(r.record!.turnCount).toBe(0);
    expect(r.record!.attributes).toMatchObject({ 'vapi.turn_source': 'none', 'vapi.cost.total_usd': 0.11 });
    await done;
    const spans = [...live.spans(), ...post.spans()];
    expect(spans.filter((s) => s.name === 'turn')).toHaveLength(3);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([ID.replace(/-/g, '')]));
  });
});

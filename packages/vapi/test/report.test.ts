import { SpanStatusCode } from '@opentelemetry/api';
import { observeVapiMessage, planReport, taskCompletedOf, type VapiEndOfCallReport } from '@voxtrace/vapi';
import { afterEach, describe, expect, it } from 'vitest';
import { attr, CALL_ID, fixture, type Harness, harness, ms } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.vt.shutdown();
});

const T0 = 1_760_000_000_000;
const ID = '11111111-2222-4333-8444-555555555555';

/** A report body with the given artifact messages and figures (times relative to T0). */
function report(
  messages: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
  metrics?: Record<string, unknown>,
): { message: Record<string, unknown> } {
  return {
    message: {
      type: 'end-of-call-report',
      endedReason: 'customer-ended-call',
      startedAt: new Date(T0).toISOString(),
      endedAt: new Date(T0 + 60_000).toISOString(),
      call: { id: ID, orgId: 'org', createdAt: 'x', updatedAt: 'x' },
      artifact: { messages, ...(metrics && { performanceMetrics: metrics }) },
      ...extra,
    },
  };
}

const user = (time: number, endTime: number, message = 'hello') => ({
  role: 'user',
  message,
  time: T0 + time,
  endTime: T0 + endTime,
});
const bot = (time: number, endTime: number, message = 'hi there') => ({
  role: 'bot',
  message,
  time: T0 + time,
  endTime: T0 + endTime,
});

describe('end-of-call-report fixture through observeVapiMessage', () => {
  it('yields one complete conversation: turns, felt latency beside Vapi figures, tool span, outcome', () => {
    h = harness();
    const body = fixture('vapi-end-of-call-report.json');
    const r = observeVapiMessage(h.vt, body);
    expect(r).toMatchObject({ ok: true, type: 'end-of-call-report', callId: CALL_ID, action: 'completed' });
    expect(r.problems).toEqual([]);
    const rec = r.record!;
    expect(rec.platform).toBe('vapi');
    expect(rec.outcome).toBe('completed');
    expect(rec.taskCompleted).toBe(true);
    // The call's real start and end (ISO on the report), not the wall clock.
    expect(rec.startedAt).toBe(Date.parse('2025-10-17T14:07:56.020Z'));
    expect(rec.endedAt).toBe(Date.parse('2025-10-17T14:09:00.870Z'));
    expect(rec.turnCount).toBe(3);
    const [greeting, toolTurn, bye] = rec.turns;

    // Greeting: agent-initiated, first turnLatencies entry; TTS time to first audio from voiceLatency.
    expect(greeting!.initiator).toBe('agent');
    expect(greeting!.agentSpeechStartedAt).toBe(1760710082460);
    expect(greeting!.agentSpeechEndedAt).toBe(1760710084700);
    expect(greeting!.attributes).toMatchObject({
      'vapi.turn_latency_ms': 1560,
      'vapi.voice_latency_ms': 231,
    });
    expect(greeting!.tts[0]!.ttfbMs).toBe(231);

    // Tool turn: felt latency = bot time − user endTime (ms); Vapi's own 3553 beside it.
    expect(toolTurn!.userSpeechEndedAt).toBe(1760710104010);
    expect(toolTurn!.agentSpeechStartedAt).toBe(1760710109480);
    expect(toolTurn!.e2eLatencyMs).toBe(5470);
    expect(toolTurn!.attributes).toMatchObject({
      'vapi.turn_latency_ms': 3553,
      'vapi.model_latency_ms': 1221,
      'vapi.endpointing_latency_ms': 454,
      'vapi.turn_latency_index': 1,
    });
    // voiceLatency 0 and transcriberLatency 0 are unknown, not zero.
    expect(toolTurn!.attributes['vapi.voice_latency_ms']).toBeUndefined();
    expect(toolTurn!.attributes['vapi.transcriber_latency_ms']).toBeUndefined();
    expect(toolTurn!.tts).toEqual([]);
    expect(toolTurn!.turnDetection?.delayMs).toBe(454);
    expect(toolTurn!.llm[0]!.ttftMs).toBe(1221);
    expect(toolTurn!.llm[0]!.endedAt).toBe(1760710106938); // the model's pass ends with its tool call
    expect(toolTurn!.stt?.transcript).toBe('Great, press two, then one, then two.');
    expect(toolTurn!.tools).toHaveLength(1);
    expect(toolTurn!.tools[0]).toMatchObject({
      name: 'dtmf',
      callId: 'call_CTgHfSj4lNZaqVjByk2eJooc',
      startedAt: 1760710106938,
      endedAt: 1760710108102,
      durationMs: 1164,
      arguments: { keys: 'w2w1w2' },
      result: 'Sent keys w2w1w2',
    });
    // The parts of the felt latency add up to it.
    const parts = toolTurn!.breakdown!;
    expect(Object.values(parts).reduce((a, b) => a + b, 0)).toBe(5470);
    expect(parts.tool).toBe(1164);
    expect(parts.turn_detection).toBe(454);

    // The caller's goodbye: a user turn without an answer.
    expect(bye!.initiator).toBe('user');
    expect(bye!.e2eLatencyMs).toBeNull();
    expect(bye!.stt?.transcript).toBe('Thanks, bye.');

    expect(rec.attributes).toMatchObject({
      'vapi.ended_reason': 'customer-ended-call',
      'vapi.success_evaluation': 'true',
      'vapi.cost.total_usd': 0.1142,
      'vapi.cost.llm_usd': 0.0172,
      'vapi.cost.tts_usd': 0.0226,
      'vapi.usage.llm_prompt_tokens': 6412,
      'vapi.turn_latency_avg_ms': 2556.5,
      'vapi.to_transport_latency_avg_ms': 4,
      'vapi.num_user_interrupted': 0,
      'vapi.num_assistant_interrupted': 0,
      'vapi.turn_source': 'report',
      'vapi.call.type': 'inboundPhoneCall',
    });
    expect(JSON.stringify(rec.attributes)).not.toContain('+14155550123'); // never the caller's number
  });

  it('puts every span in the trace of the call id, timed from the messages', () => {
    h = harness();
    observeVapiMessage(h.vt, fixture('vapi-end-of-call-report.json'));
    const spans = h.spans();
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([CALL_ID.replace(/-/g, '')]));
    const conv = h.spans('conversation');
    expect(conv).toHaveLength(1);
    expect(ms(conv[0]!.startTime)).toBe(Date.parse('2025-10-17T14:07:56.020Z'));
    expect(ms(conv[0]!.endTime)).toBe(Date.parse('2025-10-17T14:09:00.870Z'));
    expect(attr(conv[0], 'voice.call.outcome')).toBe('completed');
    expect(attr(conv[0], 'voice.call.task_completed')).toBe(true);
    expect(attr(conv[0], 'vapi.cost.total_usd')).toBe(0.1142);
    const turns = h.spans('turn').sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(turns.map((t) => attr(t, 'turn.index'))).toEqual([1, 2, 3]);
    expect(attr(turns[1], 'turn.e2e_latency_ms')).toBe(5470);
    expect(attr(turns[1], 'vapi.turn_latency_ms')).toBe(3553);
    const tool = h.spans('tool_call');
    expect(tool).toHaveLength(1);
    expect(attr(tool[0], 'gen_ai.tool.name')).toBe('dtmf');
    expect(ms(tool[0]!.startTime)).toBe(1760710106938);
    expect(ms(tool[0]!.endTime)).toBe(1760710108102);
    expect(attr(tool[0], 'gen_ai.tool.call.arguments')).toBe('{"keys":"w2w1w2"}');
  });
});

describe('planReport: Vapi units and edge cases', () => {
  it('reads figures that are all below 20 as seconds, and converts them once', () => {
    const body = report(
      [user(1000, 3000), bot(4500, 6000)],
      {},
      {
        turnLatencies: [
          {
            turnLatency: 1.2,
            modelLatency: 0.4,
            voiceLatency: 0.25,
            transcriberLatency: 0.15,
            endpointingLatency: 0.3,
          },
        ],
        modelLatencyAverage: 0.4,
        toTransportLatencyAverage: 4,
      },
    );
    const plan = planReport(body.message as VapiEndOfCallReport, 0);
    expect(plan.problems.join()).toContain('read as seconds');
    const agent = plan.events.find((e) => e.type === 'agent.speech.started');
    expect(agent?.attributes).toMatchObject({
      'vapi.turn_latency_ms': 1200,
      'vapi.model_latency_ms': 400,
      'vapi.voice_latency_ms': 250,
      'vapi.transcriber_latency_ms': 150,
      'vapi.endpointing_latency_ms': 300,
    });
    expect(plan.end.attributes).toMatchObject({
      'vapi.model_latency_avg_ms': 400,
      'vapi.to_transport_latency_avg_ms': 4,
    });
    // Forward from the end of speech: endpointing, then transcription, then the model's first token.
    const at = (type: string) => plan.events.find((e) => e.type === type)?.at;
    expect(at('turn.end_detected')).toBe(T0 + 3300);
    expect(at('stt.final')).toBe(T0 + 3450);
    expect(at('llm.started')).toBe(T0 + 3450);
    expect(at('llm.first_token')).toBe(T0 + 3850);
    // Back from the first audio: the voice's time to first audio.
    expect(at('tts.started')).toBe(T0 + 4250);
    expect(at('tts.first_audio')).toBe(T0 + 4500);
  });

  it('keeps millisecond figures as they are', () => {
    const body = report(
      [user(1000, 3000), bot(4500, 6000)],
      {},
      { turnLatencies: [{ turnLatency: 1200, modelLatency: 400 }] },
    );
    const plan = planReport(body.message as VapiEndOfCallReport, 0);
    expect(plan.events.find((e) => e.type === 'agent.speech.started')?.attributes).toMatchObject({
      'vapi.turn_latency_ms': 1200,
      'vapi.model_latency_ms': 400,
    });
  });

  it('treats missing and zero figures as unknown: no span, no attribute, transcript still kept', () => {
    h = harness();
    const body = report(
      [user(1000, 3000, 'book a table'), bot(4500, 6000)],
      {},
      {
        turnLatencies: [{ turnLatency: 0, modelLatency: 0, voiceLatency: 0 }],
      },
    );
    const rec = observeVapiMessage(h.vt, body).record!;
    const t = rec.turns[0]!;
    expect(t.e2eLatencyMs).toBe(1500);
    expect(t.llm).toEqual([]);
    expect(t.tts).toEqual([]);
    expect(t.turnDetection).toBeNull();
    expect(t.attributes).toEqual({ 'vapi.turn_latency_index': 0 });
    expect(t.stt?.transcript).toBe('book a table');
  });

  it('places messages without time by secondsFromStart (seconds) and ignores duration', () => {
    const body = report([
      { role: 'system', message: 'prompt', time: T0 + 500, secondsFromStart: 0 },
      { role: 'bot', message: 'hi', time: T0 + 1500, endTime: T0 + 2500, secondsFromStart: 1, duration: 99 },
      { role: 'user', message: 'yes', secondsFromStart: 4.25, endTime: T0 + 6000, duration: 1 },
    ]);
    const plan = planReport(body.message as VapiEndOfCallReport, 0);
    expect(plan.events.find((e) => e.type === 'user.speech.started')?.at).toBe(T0 + 500 + 4250);
    expect(plan.events.find((e) => e.type === 'agent.speech.ended')?.at).toBe(T0 + 2500);
  });

  it('reads tool calls in all three argument shapes', () => {
    h = harness();
    const body = report([
      user(1000, 2000),
      {
        role: 'tool_calls',
        time: T0 + 2500,
        message: '',
        toolCalls: [
          { id: 'a', type: 'function', function: { name: 'sdk', arguments: '{"x":1}' } },
          { id: 'b', name: 'docs', arguments: { y: 2 } },
          { id: 'c', name: 'events', parameters: { z: 3 } },
          { id: 'd', function: { name: 'fnparams', parameters: { w: 4 } } },
        ],
      },
      { role: 'tool_call_result', time: T0 + 3000, toolCallId: 'a', name: 'sdk', result: 'ok' },
      { role: 'tool_call_result', time: T0 + 3100, toolCallId: 'b', result: 'ok' },
      { role: 'tool_call_result', time: T0 + 3200, toolCallId: 'c', result: 'ok' },
      { role: 'tool_call_result', time: T0 + 3300, toolCallId: 'd', result: 'ok' },
      bot(4000, 5000),
    ]);
    const tools = observeVapiMessage(h.vt, body).record!.turns[0]!.tools;
    expect(tools.map((t) => [t.name, t.arguments, t.durationMs])).toEqual([
      ['sdk', { x: 1 }, 500],
      ['docs', { y: 2 }, 600],
      ['events', { z: 3 }, 700],
      ['fnparams', { w: 4 }, 800],
    ]);
    expect(h.spans('tool_call')).toHaveLength(4);
  });

  it('maps an error endedReason to outcome error and a fatal error of its layer on the spans', () => {
    h = harness();
    const reason = 'call.in-progress.error-providerfault-openai-llm-failed';
    const rec = observeVapiMessage(
      h.vt,
      report([user(1000, 2000), bot(3000, 4000)], { endedReason: reason }),
    ).record!;
    expect(rec.outcome).toBe('error');
    expect(rec.attributes).toMatchObject({ 'vapi.ended_reason': reason, 'vapi.fault': 'provider' });
    const errors = [...rec.errors, ...rec.turns.flatMap((t) => t.errors)];
    expect(errors).toEqual([
      { layer: 'llm', message: `vapi endedReason: ${reason}`, recoverable: false, at: T0 + 60_000 },
    ]);
    const conv = h.spans('conversation')[0]!;
    expect(conv.status.code).toBe(SpanStatusCode.ERROR);
    expect(h.spans('llm').some((s) => s.status.code === SpanStatusCode.ERROR)).toBe(true);
  });

  it('maps other outcomes: transferred, voicemail, unanswered, abandoned', () => {
    const outcome = (endedReason: string) =>
      planReport(report([], { endedReason }).message as VapiEndOfCallReport, 0).end.outcome;
    expect(outcome('assistant-forwarded-call')).toBe('transferred');
    expect(outcome('voicemail')).toBe('voicemail');
    expect(outcome('customer-did-not-answer')).toBe('unanswered');
    expect(outcome('silence-timed-out')).toBe('abandoned');
  });

  it('reads successEvaluation as taskCompleted only when boolean-like', () => {
    expect(taskCompletedOf('true')).toBe(true);
    expect(taskCompletedOf(' False ')).toBe(false);
    expect(taskCompletedOf('Pass')).toBe(true);
    expect(taskCompletedOf(true)).toBe(true);
    expect(taskCompletedOf('8')).toBeNull();
    expect(taskCompletedOf(8)).toBeNull();
    expect(taskCompletedOf('The caller was happy')).toBeNull();
    expect(taskCompletedOf(undefined)).toBeNull();
  });

  it('matches turnLatencies by order, skipping a greeting when there is one entry fewer', () => {
    const body = report(
      [bot(500, 1500, 'hello'), user(2000, 3000), bot(4000, 5000), user(6000, 7000), bot(7800, 9000)],
      {},
      {
        turnLatencies: [{ turnLatency: 900 }, { turnLatency: 700 }],
      },
    );
    const plan = planReport(body.message as VapiEndOfCallReport, 0);
    const starts = plan.events.filter((e) => e.type === 'agent.speech.started');
    expect(starts.map((e) => e.attributes?.['vapi.turn_latency_ms'])).toEqual([undefined, 900, 700]);
    expect(plan.problems).toEqual([]);
  });

  it('says so when the counts do not match, and matches by order', () => {
    const body = report(
      [user(2000, 3000), bot(4000, 5000)],
      {},
      { turnLatencies: [{ turnLatency: 900 }, { turnLatency: 800 }, { turnLatency: 700 }] },
    );
    const plan = planReport(body.message as VapiEndOfCallReport, 0);
    expect(
      plan.events.find((e) => e.type === 'agent.speech.started')?.attributes?.['vapi.turn_latency_ms'],
    ).toBe(900);
    expect(plan.end.attributes).toMatchObject({ 'vapi.turn_latency.count': 3, 'vapi.bot_turn.count': 1 });
    expect(plan.problems.join()).toContain('3 entries for 1 bot turns');
  });

  it('marks a barge-in (the caller speaks before the bot finished) as an interrupted turn', () => {
    h = harness();
    const body = report(
      [user(1000, 2000), bot(3000, 6000), user(5000, 7000, 'wait'), bot(8000, 9000)],
      {},
      {
        numUserInterrupted: 0,
        numAssistantInterrupted: 1,
      },
    );
    const rec = observeVapiMessage(h.vt, body).record!;
    expect(rec.interruptions).toBe(1);
    expect(rec.turns.map((t) => t.interrupted)).toEqual([true, false]);
    expect(rec.attributes).toMatchObject({
      'vapi.num_user_interrupted': 0,
      'vapi.num_assistant_interrupted': 1,
    });
  });

  it('falls back on legacy top-level messages, durationMs and summed costs', () => {
    const body = {
      message: {
        type: 'end-of-call-report',
        call: { id: ID },
        startedAt: new Date(T0).toISOString(),
        durationMs: 30_000,
        messages: [user(1000, 2000), bot(2800, 4000)],
        costs: [
          { type: 'model', cost: 0.01, promptTokens: 100, completionTokens: 5 },
          { type: 'voice', cost: 0.02, characters: 40 },
          { type: 'voice', cost: 0.03, characters: 60 },
        ],
        cost: 0.06,
      },
    };
    const plan = planReport(body.message as VapiEndOfCallReport, 0);
    expect(plan.end.endedAt).toBe(T0 + 30_000);
    expect(plan.events.filter((e) => e.type === 'agent.speech.started')).toHaveLength(1);
    expect(plan.end.attributes).toMatchObject({
      'vapi.cost.llm_usd': 0.01,
      'vapi.cost.tts_usd': 0.05,
      'vapi.usage.tts_characters': 100,
      'vapi.usage.llm_prompt_tokens': 100,
      'vapi.cost.total_usd': 0.06,
    });
  });

  it('skips a malformed artifact message and keeps the others, saying what was skipped', () => {
    h = harness();
    const body = report([
      user(1000, 2000),
      { role: 42, message: 'bad role' },
      { role: 'bot', message: 'time is text', time: 'soon', secondsFromStart: 'x' },
      bot(3000, 4000),
    ]);
    const r = observeVapiMessage(h.vt, body);
    expect(r.ok).toBe(true);
    expect(r.problems.some((p) => p.includes('artifact.messages.1.role'))).toBe(true);
    expect(r.problems.some((p) => p.includes('time'))).toBe(true);
    expect(r.record!.turns).toHaveLength(1);
    expect(r.record!.turns[0]!.e2eLatencyMs).toBe(1000);
    expect(h.diagnostics.some((d) => d.code === 'adapter_error' && d.conversationId === ID)).toBe(true);
  });
});

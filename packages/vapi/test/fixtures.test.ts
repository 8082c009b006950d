import { observeVapiMessage, observeVapiResponse } from '@voxtrace/vapi';
import { afterEach, describe, expect, it } from 'vitest';
import { attr, CALL_ID, fixture, type Harness, harness, ms } from './helpers.js';

let h: Harness;
afterEach(async () => {
  await h?.vt.shutdown();
});

describe('each fixture through observeVapiMessage', () => {
  it('status-update in-progress starts the call at call.startedAt, with its identifying attributes', () => {
    h = harness();
    const r = observeVapiMessage(h.vt, fixture('vapi-status-update-in-progress.json'));
    expect(r).toMatchObject({
      ok: true,
      type: 'status-update',
      callId: CALL_ID,
      action: 'recorded',
      problems: [],
    });
    const conv = h.vt.getConversation(CALL_ID)!;
    expect(conv.startedAt).toBe(Date.parse('2025-10-17T14:07:56.020Z'));
    expect(conv.traceId).toBe(CALL_ID.replace(/-/g, ''));
    const rec = conv.end();
    expect(rec.attributes).toMatchObject({
      'vapi.call.type': 'inboundPhoneCall',
      'vapi.phone_call.provider': 'twilio',
    });
  });

  it('speech-update is held until the call proves it sends transcripts', () => {
    h = harness();
    const r = observeVapiMessage(h.vt, fixture('vapi-speech-update.json'));
    expect(r).toMatchObject({
      ok: true,
      type: 'speech-update',
      callId: CALL_ID,
      action: 'ignored',
      events: 0,
    });
    expect(r.reason).toContain('transcript');
    const t = fixture('vapi-speech-update.json');
    const m = t.message as Record<string, unknown>;
    const transcript = {
      message: {
        ...m,
        type: 'transcript',
        role: 'user',
        transcriptType: 'final',
        transcript: 'ok',
        timestamp: 1760710109300,
      },
    };
    expect(observeVapiMessage(h.vt, transcript)).toMatchObject({ action: 'recorded', events: 2 }); // held + this one
  });

  it('status-update ended waits for the report, then the report completes the same conversation', () => {
    h = harness();
    observeVapiMessage(h.vt, fixture('vapi-status-update-in-progress.json'));
    const ended = observeVapiMessage(h.vt, fixture('vapi-status-update-ended.json'));
    expect(ended).toMatchObject({ action: 'recorded', events: 0 }); // customer-ended-call: not a failure
    expect(h.conversations).toHaveLength(0);
    const rec = observeVapiMessage(h.vt, fixture('vapi-end-of-call-report.json')).record!;
    expect(h.conversations).toEqual([rec]);
    expect(rec.startedAt).toBe(Date.parse('2025-10-17T14:07:56.020Z'));
    expect(rec.endedAt).toBe(Date.parse('2025-10-17T14:09:00.870Z'));
    expect(rec.turnCount).toBe(3);
    expect(rec.outcome).toBe('completed');
  });

  it('tool-calls (docs shape, arguments object) becomes a tool span ended at Vapi’s time of the result', () => {
    h = harness();
    const body = fixture('vapi-tool-calls.json');
    const call = (body.message as { call: unknown }).call;
    // A call that sends transcripts: its live path owns the turns.
    observeVapiMessage(h.vt, {
      message: { type: 'speech-update', role: 'user', status: 'started', timestamp: 1678901230000, call },
    });
    observeVapiMessage(h.vt, {
      message: { type: 'speech-update', role: 'user', status: 'stopped', timestamp: 1678901232000, call },
    });
    observeVapiMessage(h.vt, {
      message: {
        type: 'transcript',
        role: 'user',
        transcriptType: 'final',
        transcript: 'weather in SF?',
        timestamp: 1678901232150,
        call,
      },
    });
    const r = observeVapiMessage(h.vt, body);
    expect(r).toMatchObject({
      ok: true,
      type: 'tool-calls',
      callId: 'call-uuid',
      action: 'recorded',
      events: 1,
    });
    const answer = { results: [{ toolCallId: 'toolu_01DTPAzUm5Gk3zxrpJ969oMF', result: 'sunny' }] };
    // The answer is kept: the tool ends when Vapi says it got the result.
    expect(observeVapiResponse(h.vt, body, answer, { at: 1678901235067 })).toMatchObject({
      action: 'recorded',
      events: 0,
    });
    const result = {
      role: 'tool_call_result',
      toolCallId: 'toolu_01DTPAzUm5Gk3zxrpJ969oMF',
      name: 'get_weather',
    };
    observeVapiMessage(h.vt, {
      message: {
        type: 'conversation-update',
        timestamp: 1678901235900,
        call,
        messages: [{ ...result, result: 'sunny', time: 1678901235800, secondsFromStart: 5.8 }],
      },
    });
    const rec = h.vt.getConversation('call-uuid')!.end({ endedAt: 1678901240000 });
    expect(rec.turns[0]!.tools[0]).toMatchObject({
      name: 'get_weather',
      arguments: { location: 'San Francisco' },
      result: 'sunny',
      durationMs: 1678901235800 - 1678901234567,
    });
    const span = h.spans('tool_call')[0]!;
    expect(attr(span, 'gen_ai.tool.call.id')).toBe('toolu_01DTPAzUm5Gk3zxrpJ969oMF');
    expect(ms(span.endTime) - ms(span.startTime)).toBe(1678901235800 - 1678901234567);
  });

  it('end-of-call-report alone: the whole call (detailed in report.test.ts)', () => {
    h = harness();
    const r = observeVapiMessage(h.vt, fixture('vapi-end-of-call-report.json'));
    expect(r.record!.turns.map((t) => t.e2eLatencyMs)).toEqual([null, 5470, null]);
    expect(h.spans('turn')).toHaveLength(3);
    expect(h.spans('tool_call')).toHaveLength(1);
  });
});

import { EventEmitter } from 'node:events';
import { type ConversationRecord, createVoxtrace } from '@voxtrace/core';
import { createRetellWebhookHandler, instrumentRetellLlmSocket, observeRetellEvent } from '@voxtrace/retell';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoundedSet } from '../src/bounded-set.js';
import { API_KEY, attr, endMs, fixture, retellRequest, startMs, testVoxtrace, turnsOf } from './helpers.js';

type Call = Record<string, unknown> & { call_id: string };
const URL_ = 'http://127.0.0.1/retell';

/** The fixture's call as Retell sends it at each stage. */
function stages(callId = 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6') {
  const { call } = fixture<{ call: Call }>('retell-call_analyzed.json');
  const analyzed: Call = { ...call, call_id: callId };
  const { call_analysis: _a, ...ended } = analyzed;
  const started = {
    call_id: callId,
    agent_id: call.agent_id,
    call_type: call.call_type,
    call_status: 'ongoing',
    start_timestamp: call.start_timestamp,
  };
  return {
    started: { event: 'call_started', call: started },
    ended: { event: 'call_ended', call: ended },
    analyzed: { event: 'call_analyzed', call: analyzed },
  };
}

// Without span processors no exporter timers run, so the timer count is core's interval plus ours.
function quietVoxtrace() {
  const vt = createVoxtrace({ otlp: false, flushTimeoutMs: 10 });
  const records: ConversationRecord[] = [];
  vt.on('conversation', (r) => records.push(r));
  return { vt, records };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('one call, one trace, one set of turns', () => {
  it('call_ended delivered three times, then call_analyzed: one conversation with the analysis', async () => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    const s = stages();
    for (let i = 0; i < 3; i++) expect((await handler(retellRequest(URL_, s.ended))).status).toBe(204);
    // Nothing is out before the analysis: the call is emitted once, with the richest data.
    expect(t.spans()).toHaveLength(0);
    expect((await handler(retellRequest(URL_, s.analyzed))).status).toBe(204);

    const [conv, ...others] = t.named('conversation');
    expect(others).toHaveLength(0);
    expect(conv?.attributes).toMatchObject({
      'voice.call.outcome': 'completed',
      'voice.call.task_completed': true,
      'retell.analysis.user_sentiment': 'Positive',
      'voice.turn.count': 3,
    });
    expect(turnsOf(t.spans())).toHaveLength(3);
    expect(t.named('tool_call')).toHaveLength(1);
    expect(new Set(t.spans().map((x) => x.spanContext().traceId)).size).toBe(1);
    expect(handler.stats()).toMatchObject({ recorded: 2, duplicates: 2, openCalls: 0 });
  });

  it('call_started, retried call_ended and call_analyzed: the conversation opened at call_started is completed', async () => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    const s = stages();
    await handler(retellRequest(URL_, s.started));
    expect(t.vt.stats().openConversations).toBe(1);
    for (const body of [s.started, s.ended, s.ended, s.analyzed, s.analyzed, s.ended]) {
      expect((await handler(retellRequest(URL_, body))).status).toBe(204);
    }
    const convs = t.named('conversation');
    expect(convs).toHaveLength(1);
    expect(startMs(convs[0]!)).toBe(1703302407333);
    expect(endMs(convs[0]!)).toBe(1703302428855);
    expect(turnsOf(t.spans())).toHaveLength(3);
    expect(t.vt.stats().openConversations).toBe(0);
  });

  it('call_analyzed before call_ended (a retry out of order): still one conversation', async () => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    const s = stages();
    await handler(retellRequest(URL_, s.analyzed));
    await handler(retellRequest(URL_, s.ended));
    await handler(retellRequest(URL_, s.started));
    expect(t.named('conversation')).toHaveLength(1);
    expect(turnsOf(t.spans())).toHaveLength(3);
    expect(t.vt.stats().openConversations).toBe(0);
  });

  it('call_ended without transcript_object, then call_analyzed: the turns of call_analyzed', async () => {
    const run = async (bodies: unknown[]) => {
      const t = testVoxtrace();
      const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
      for (const b of bodies) expect((await handler(retellRequest(URL_, b))).status).toBe(204);
      return t.named('conversation')[0]?.attributes;
    };
    const s = stages();
    const { transcript_object: _t, transcript_with_tool_calls: _w, latency: _l, ...bare } = s.ended.call;
    const alone = await run([s.analyzed]);
    expect(alone?.['voice.turn.count']).toBe(3);
    expect(await run([{ ...s.ended, call: bare }, s.analyzed])).toEqual(alone);
    expect(await run([s.analyzed, { ...s.ended, call: bare }, s.started])).toEqual(alone);
  });

  it('observeRetellEvent deduplicates the same way for users with their own endpoint', () => {
    const t = testVoxtrace();
    const s = stages();
    const actions = [s.ended, s.ended, s.analyzed, s.analyzed].map((b) => {
      const r = observeRetellEvent(t.vt, JSON.stringify(b));
      return r.ok ? r.action : r.error;
    });
    expect(actions).toEqual(['recorded', 'duplicate', 'recorded', 'duplicate']);
    expect(t.named('conversation')).toHaveLength(1);
    expect(observeRetellEvent(t.vt, { event: 'call_ended' })).toEqual({
      ok: false,
      error: 'call: required for call_ended',
    });
    expect(observeRetellEvent(t.vt, 'not json').ok).toBe(false);
  });
});

describe('waiting for call_analyzed', () => {
  it('ends the conversation after analysisWaitMs, then reports a late call_analyzed without a second trace', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const t = testVoxtrace();
    const diagnostics: string[] = [];
    const handler = createRetellWebhookHandler(t.vt, {
      apiKey: API_KEY,
      analysisWaitMs: 30_000,
      onDiagnostic: (d) => diagnostics.push(d.message),
    });
    const s = stages();
    await handler(retellRequest(URL_, s.ended));
    vi.advanceTimersByTime(29_000);
    expect(t.named('conversation')).toHaveLength(0);
    vi.advanceTimersByTime(1_000);
    const [conv] = t.named('conversation');
    expect(conv?.attributes['voice.call.outcome']).toBe('completed');
    expect(conv?.attributes['voice.call.task_completed']).toBeUndefined();
    expect(endMs(conv!)).toBe(1703302428855);

    const late = await handler(retellRequest(URL_, s.analyzed));
    expect(late.status).toBe(204);
    expect(t.named('conversation')).toHaveLength(1);
    expect(turnsOf(t.spans())).toHaveLength(3);
    expect(diagnostics.join('\n')).toMatch(/call_analyzed .* after the call was completed/);
    expect(handler.stats().late).toBe(1);
  });

  it('close() completes waiting calls with what call_ended said and clears the timers', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { vt, records } = quietVoxtrace();
    const own = vi.getTimerCount(); // voxtrace's own timers (idle sweep, monitor evaluation)
    const handler = createRetellWebhookHandler(vt, { apiKey: API_KEY });
    const { ended } = stages();
    await handler(
      retellRequest(URL_, { ...ended, call: { ...ended.call, disconnection_reason: 'call_transfer' } }),
    );
    expect(vi.getTimerCount()).toBe(own + 1);
    handler.close();
    expect(vi.getTimerCount()).toBe(own);
    expect(records.map((r) => [r.outcome, r.endReason, r.turnCount])).toEqual([['transferred', 'ended', 3]]);
    expect(handler.stats().openCalls).toBe(0);
  });

  it('vt.shutdown() alone emits waiting calls with what call_ended said and leaves no timer behind', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { vt, records } = quietVoxtrace();
    const own = vi.getTimerCount(); // voxtrace's own timers (idle sweep, monitor evaluation)
    const handler = createRetellWebhookHandler(vt, { apiKey: API_KEY });
    await handler(retellRequest(URL_, stages().ended));
    expect(vi.getTimerCount()).toBe(own + 1);
    await vt.shutdown();
    expect(vi.getTimerCount()).toBe(0);
    expect(handler.stats().openCalls).toBe(0);
    // Shutdown emits the call before ending what is still open: its real end, outcome and turns.
    expect(records.map((r) => [r.outcome, r.endReason, r.turnCount])).toEqual([['completed', 'ended', 3]]);
    expect(records[0]?.attributes['retell.disconnection_reason']).toBe('user_hangup');
  });
});

describe('socket closed, webhook late', () => {
  it('after webhookWaitMs the call ends with what the socket saw; a later call_ended is reported late', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { vt, records } = quietVoxtrace();
    const diagnostics: string[] = [];
    const handler = createRetellWebhookHandler(vt, {
      apiKey: API_KEY,
      webhookWaitMs: 5_000,
      onDiagnostic: (d) => diagnostics.push(d.message),
    });
    const ws = Object.assign(new EventEmitter(), { send: (_frame: unknown) => {} });
    const id = 'Jabr9TXYYJHfvl6Syypi88rdAHYHmcq6';
    instrumentRetellLlmSocket(ws, vt, { callId: id });
    const frame = {
      interaction_type: 'response_required',
      response_id: 1,
      transcript: [{ role: 'user', content: 'Hi' }],
    };
    ws.emit('message', Buffer.from(JSON.stringify(frame)));
    ws.send(
      JSON.stringify({ response_type: 'response', response_id: 1, content: 'Hello', content_complete: true }),
    );
    ws.emit('close', 1000);
    vi.advanceTimersByTime(4_999);
    expect(records).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(records.map((r) => [r.id, r.outcome, r.turnCount])).toEqual([[id, 'completed', 1]]);
    await handler(retellRequest(URL_, stages().ended));
    expect(records).toHaveLength(1);
    expect(handler.stats().late).toBe(1);
    expect(diagnostics.join('\n')).toMatch(/call_ended .* after the call was completed.*webhookWaitMs/);
  });

  it('close() ends a call whose socket closed and that still waits for call_ended', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { vt, records } = quietVoxtrace();
    const own = vi.getTimerCount(); // voxtrace's own timers (idle sweep, monitor evaluation)
    const handler = createRetellWebhookHandler(vt, { apiKey: API_KEY });
    const ws = Object.assign(new EventEmitter(), { send: (_frame: unknown) => {} });
    instrumentRetellLlmSocket(ws, vt, { callId: 'c-1' });
    ws.emit(
      'message',
      JSON.stringify({ interaction_type: 'reminder_required', response_id: 1, transcript: [] }),
    );
    ws.emit('close', 1006);
    expect(vi.getTimerCount()).toBe(own + 1);
    handler.close();
    expect(vi.getTimerCount()).toBe(own);
    expect(records.map((r) => [r.id, r.outcome])).toEqual([['c-1', 'error']]);
  });
});

describe('bounded memory', () => {
  it('past maxCalls, the oldest call awaiting its analysis is completed early', async () => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY, maxCalls: 2 });
    for (const id of ['call-a', 'call-b', 'call-c']) await handler(retellRequest(URL_, stages(id).ended));
    expect(t.named('conversation').map((s) => attr(s, 'conversation.id'))).toEqual(['call-a']);
    expect(handler.stats().openCalls).toBe(2);
    handler.close();
    expect(t.named('conversation')).toHaveLength(3);
  });

  it('the dedupe memory forgets the oldest entries beyond its capacity', () => {
    const set = new BoundedSet(3);
    for (const k of ['a', 'b', 'c', 'd']) set.add(k);
    expect(set.size).toBe(3);
    expect(set.has('a')).toBe(false);
    expect(set.has('d')).toBe(true);
    set.add('b'); // present already: no change in order or size
    set.capacity = 1;
    set.add('e');
    expect(set.size).toBe(1);
    expect(set.has('e')).toBe(true);
  });
});

import { EventEmitter } from 'node:events';
import type VapiWeb from '@vapi-ai/web';
import { instrumentVapiWebClient, type VapiWebClientLike } from '@voxtrace/vapi';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.js';

// The real SDK class fits the structural type (checked by tsc in `npm run lint`). Under NodeNext the
// CJS package's default export is `.default`.
const _fits: (vapi: VapiWeb.default) => VapiWebClientLike = (vapi) => vapi;
void _fits;

const T0 = 1_760_800_000_000;
const ID = '9b1d2c3e-4f50-4a6b-8c7d-0e1f2a3b4c5d';

let h: Harness;
afterEach(async () => {
  await h?.vt.shutdown();
});

/** A stand-in for `@vapi-ai/web`'s Vapi (an EventEmitter), driven by a fake clock. */
function setup() {
  h = harness();
  const vapi = new EventEmitter();
  let clock = T0;
  const inst = instrumentVapiWebClient(vapi, h.vt, { now: () => clock });
  const at = (t: number) => {
    clock = T0 + t;
  };
  const emit = (t: number, event: string, arg?: unknown) => {
    at(t);
    vapi.emit(event, arg);
  };
  const progress = (t: number, stage: string, status: string, extra: Record<string, unknown> = {}) =>
    emit(t, 'call-start-progress', { stage, status, timestamp: new Date(T0 + t).toISOString(), ...extra });
  return { vapi, inst, emit, progress };
}

/** The SDK's setup sequence of a call. */
function start({ emit, progress }: ReturnType<typeof setup>, t0 = 0) {
  progress(t0, 'validation', 'started');
  progress(t0 + 5, 'validation', 'completed', { duration: 5 });
  progress(t0 + 10, 'web-call-creation', 'started');
  progress(t0 + 360, 'web-call-creation', 'completed', { duration: 350, metadata: { callId: ID } });
  progress(t0 + 370, 'daily-call-join', 'started');
  progress(t0 + 1170, 'daily-call-join', 'completed', { duration: 800 });
  emit(t0 + 1500, 'call-start-success', {
    totalDuration: 1500,
    callId: ID,
    timestamp: new Date(T0 + t0 + 1500).toISOString(),
  });
  emit(t0 + 1600, 'call-start');
}

describe('instrumentVapiWebClient', () => {
  it('makes one conversation per call: setup timings, speech (end corrected by 1 s), turns, outcome', () => {
    const s = setup();
    const { emit } = s;
    start(s);
    emit(2000, 'message', { type: 'speech-update', role: 'assistant', status: 'started' }); // not used: speech-start is
    emit(2100, 'speech-start');
    emit(4100, 'speech-end');
    emit(5000, 'message', { type: 'speech-update', role: 'user', status: 'started', turn: 1 });
    emit(7000, 'message', { type: 'speech-update', role: 'user', status: 'stopped', turn: 1 });
    emit(7200, 'message', {
      type: 'transcript',
      role: 'user',
      transcriptType: 'final',
      transcript: 'Hello?',
    });
    emit(7600, 'message', { type: 'model-output', output: 'Hi', turnId: 'a' });
    emit(8100, 'speech-start');
    emit(8150, 'volume-level', 0.4);
    emit(10100, 'speech-end');
    emit(10200, 'message', { type: 'status-update', status: 'ended', endedReason: 'assistant-ended-call' });
    emit(10500, 'call-end');
    // The SDK synthesizes this after call-end: not a call of its own, not our outcome.
    emit(10501, 'message', { type: 'status-update', status: 'ended', endedReason: 'customer-ended-call' });
    emit(11500, 'speech-end');

    expect(h.conversations).toHaveLength(1);
    const rec = h.conversations[0]!;
    expect(rec.id).toBe(ID);
    expect(rec.traceId).toBe(ID.replace(/-/g, ''));
    expect(rec.startedAt).toBe(T0); // the setup's start
    expect(rec.endedAt).toBe(T0 + 10500);
    expect(rec.outcome).toBe('completed');
    expect(rec.attributes).toMatchObject({
      'vapi.setup.validation_ms': 5,
      'vapi.setup.web_call_creation_ms': 350,
      'vapi.setup.daily_call_join_ms': 800,
      'vapi.setup.total_ms': 1500,
      'vapi.ended_reason': 'assistant-ended-call',
      'vapi.turn_source': 'live',
    });
    expect(rec.turns).toHaveLength(2);
    const [greeting, answer] = rec.turns;
    expect(greeting!.agentSpeechStartedAt).toBe(T0 + 2100);
    expect(greeting!.agentSpeechEndedAt).toBe(T0 + 3100); // speech-end at 4100, 1000 ms late
    expect(answer!.e2eLatencyMs).toBe(1100);
    expect(answer!.stt?.transcript).toBe('Hello?');
    expect(answer!.llm[0]?.firstTokenAt).toBe(T0 + 7600);
    expect(answer!.agentSpeechEndedAt).toBe(T0 + 9100);
    expect(h.diagnostics.filter((d) => d.code === 'after_end')).toEqual([]);
  });

  it('starts a new conversation for the next call on the same client', () => {
    const s = setup();
    start(s);
    s.emit(3000, 'call-end');
    start(s, 10_000);
    s.emit(13_000, 'call-end');
    expect(h.conversations).toHaveLength(2);
    expect(h.conversations[1]!.startedAt).toBe(T0 + 10_000);
  });

  it('ends a call that failed to start as a telephony error', () => {
    const s = setup();
    s.progress(0, 'validation', 'started');
    s.progress(10, 'web-call-creation', 'started');
    s.emit(400, 'call-start-failed', {
      stage: 'web-call-creation',
      totalDuration: 400,
      error: 'HTTP 401',
      timestamp: 'x',
      context: {},
    });
    expect(h.conversations).toHaveLength(1);
    const rec = h.conversations[0]!;
    expect(rec.outcome).toBe('error');
    expect(rec.errors).toMatchObject([{ layer: 'telephony', recoverable: false }]);
    expect(rec.errors[0]!.message).toContain('web-call-creation: HTTP 401');
    expect(rec.attributes).toMatchObject({
      'vapi.setup.failed_stage': 'web-call-creation',
      'vapi.setup.total_ms': 400,
    });
  });

  it('records hang and client errors, never throws into the SDK, and detaches on stop()', () => {
    const s = setup();
    start(s);
    s.emit(2000, 'message', { type: 'hang' });
    s.emit(2100, 'error', { type: 'daily-error', error: {} });
    s.emit(2200, 'message', { type: 'speech-update', role: 7 }); // invalid: a diagnostic, not an exception
    s.emit(2300, 'call-start-progress', null);
    const conv = s.inst.conversation!;
    s.inst.stop();
    expect(s.vapi.eventNames()).toEqual([]);
    const rec = conv.end();
    expect(rec.errors.map((e) => [e.layer, e.recoverable])).toEqual([
      ['llm', true],
      ['telephony', true],
    ]);
    expect(h.diagnostics.some((d) => d.code === 'adapter_error' && d.message.includes('role'))).toBe(true);
  });
});

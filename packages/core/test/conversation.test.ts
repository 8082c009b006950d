import { Conversation, type Diagnostic, replayConversation, type VoiceEvent } from '@voxtrace/core';
import { describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;
type Ev = [VoiceEvent['type'], number, Record<string, unknown>?];
const events = (list: Ev[]) => list.map(([type, dt, extra]) => ({ type, at: T0 + dt, ...extra }));

/** A plain user turn starting at `t`: speech 1 s, STT 150 ms, EOU 300 ms, LLM TTFT 400 ms, TTS TTFB 100 ms. */
function plainTurn(t: number): Ev[] {
  return [
    ['user.speech.started', t],
    ['user.speech.ended', t + 1000],
    ['stt.final', t + 1150, { transcript: 'book a table for two', provider: 'deepgram', confidence: 0.9 }],
    ['turn.end_detected', t + 1300, { delayMs: 300 }],
    ['llm.started', t + 1300, { provider: 'openai', model: 'gpt-4o-mini' }],
    ['llm.first_token', t + 1700],
    ['tts.started', t + 1710, { provider: 'cartesia' }],
    ['tts.first_audio', t + 1810],
    ['agent.speech.started', t + 1820],
    ['llm.ended', t + 2000, { inputTokens: 100, outputTokens: 20 }],
    ['tts.ended', t + 2900, { characters: 42 }],
    ['agent.speech.ended', t + 3000],
  ];
}

function run(list: Ev[], opts: { lateGraceMs?: number } = {}) {
  const diagnostics: Diagnostic[] = [];
  const record = replayConversation(events(list), {
    id: 'c1',
    startedAt: T0,
    onDiagnostic: (d) => diagnostics.push(d),
    ...opts,
  });
  return { record, diagnostics, codes: diagnostics.map((d) => d.code) };
}

describe('Conversation: normal turns', () => {
  it('numbers turns from 1 and computes latency as first agent audio − end of user speech', () => {
    const { record, diagnostics } = run([...plainTurn(0), ...plainTurn(5000)]);
    expect(diagnostics).toEqual([]);
    expect(record.turns.map((t) => t.index)).toEqual([1, 2]);
    const [t1, t2] = record.turns;
    expect(t1!.e2eLatencyMs).toBe(820);
    expect(t2!.e2eLatencyMs).toBe(820);
    expect(t1!.startedAt).toBe(T0);
    expect(t1!.endedAt).toBe(T0 + 5000); // closes when the next user turn opens
    expect(t2!.endedAt).toBe(T0 + 8000); // the last turn closes at the conversation's end
    expect(record.endedAt).toBe(T0 + 8000);
    expect(record.outcome).toBe('completed');
    expect(record.endReason).toBe('ended');
  });

  it('records each component', () => {
    const t = run(plainTurn(0)).record.turns[0]!;
    expect(t.stt).toMatchObject({ latencyMs: 150, transcript: 'book a table for two', provider: 'deepgram' });
    expect(t.turnDetection).toMatchObject({ delayMs: 300, startedAt: T0 + 1000, endedAt: T0 + 1300 });
    expect(t.llm).toHaveLength(1);
    expect(t.llm[0]).toMatchObject({ ttftMs: 400, durationMs: 700, model: 'gpt-4o-mini', inputTokens: 100 });
    expect(t.tts[0]).toMatchObject({ ttfbMs: 100, durationMs: 1190, characters: 42 });
    expect(t.interrupted).toBe(false);
  });

  it('breaks the latency down along the critical path and names the bottleneck', () => {
    const t = run(plainTurn(0)).record.turns[0]!;
    // STT (150 ms) finishes under endpointing (300 ms): it costs the caller nothing.
    expect(t.breakdown).toEqual({
      stt: 0,
      turn_detection: 300,
      llm: 400,
      tool: 0,
      tts: 100,
      other: 20,
      unmeasured: 0,
    });
    expect(Object.values(t.breakdown!).reduce((a, b) => a + b, 0)).toBe(t.e2eLatencyMs);
    expect(t.bottleneck).toBeNull(); // LLM is 49 %: below the 60 % seed share

    const slow: Ev[] = plainTurn(0).map(([type, dt, x]) =>
      type === 'llm.first_token'
        ? [type, dt + 2000, x]
        : type.startsWith('tts') || type.startsWith('agent')
          ? [type, dt + 2000, x]
          : [type, dt, x],
    );
    const s = run(slow).record.turns[0]!;
    expect(s.e2eLatencyMs).toBe(2820);
    expect(s.bottleneck?.component).toBe('llm');
    expect(s.bottleneck!.share).toBeCloseTo(2400 / 2820, 5);
  });

  it('a greeting before the caller speaks is an agent-initiated turn 1', () => {
    const { record } = run([
      ['llm.started', 100],
      ['llm.first_token', 400],
      ['agent.speech.started', 550],
      ['agent.speech.ended', 2500],
      ...plainTurn(3000),
    ]);
    expect(record.turns.map((t) => [t.index, t.initiator, t.e2eLatencyMs])).toEqual([
      [1, 'agent', null],
      [2, 'user', 820],
    ]);
  });

  it("turnContinuation 'until_agent_speech' keeps the caller's speech in a greeting turn (Pipecat)", () => {
    const list: Ev[] = [
      ['llm.started', 100],
      ['user.speech.started', 300],
      ['user.speech.ended', 900],
      ['agent.speech.started', 1500],
    ];
    expect(run(list).record.turnCount).toBe(2);
    const pipecat = replayConversation(events(list), {
      id: 'p',
      startedAt: T0,
      turnContinuation: 'until_agent_speech',
    });
    expect(pipecat.turns.map((t) => [t.index, t.initiator, t.e2eLatencyMs])).toEqual([[1, 'agent', 600]]);
  });

  it('speech resumed before the agent answered continues the same turn', () => {
    const { record } = run([
      ['user.speech.started', 0],
      ['user.speech.ended', 800],
      ['user.speech.started', 1100],
      ['user.speech.ended', 2000],
      ['agent.speech.started', 2900],
      ['agent.speech.ended', 3500],
    ]);
    expect(record.turnCount).toBe(1);
    expect(record.turns[0]!.e2eLatencyMs).toBe(900); // from the last end of speech
  });
});

describe('Conversation: tools', () => {
  it('records a tool round-trip and attributes it in the breakdown', () => {
    const { record } = run([
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['llm.started', 1300, { model: 'gpt-4o' }],
      ['llm.first_token', 1600],
      ['llm.ended', 1800],
      ['tool.started', 1810, { name: 'find_slots', callId: 'call_1', arguments: { day: 'Tue' } }],
      ['tool.ended', 2410, { name: 'find_slots', callId: 'call_1', result: { slots: 2 } }],
      ['llm.started', 2420],
      ['llm.first_token', 2800],
      ['agent.speech.started', 2900],
      ['llm.ended', 3000],
      ['agent.speech.ended', 4000],
    ]);
    const t = record.turns[0]!;
    expect(t.tools).toEqual([
      expect.objectContaining({
        name: 'find_slots',
        callId: 'call_1',
        durationMs: 600,
        error: null,
        cancelled: false,
      }),
    ]);
    expect(t.llm).toHaveLength(2);
    expect(t.e2eLatencyMs).toBe(1900);
    // First LLM call whole (500) + second up to its first token (380); tool 600. The 10 ms gaps
    // between LLM and tool are network; the 300 ms before the LLM (end of turn, not reported) and the
    // 100 ms after its first token (no TTS reported) are unmeasured, not network.
    expect(t.breakdown).toMatchObject({ llm: 880, tool: 600, other: 20, unmeasured: 400 });
  });

  it('a failed tool is an error of layer tool; a tool that never ends is unfinished', () => {
    const { record } = run([
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['tool.started', 1100, { name: 'crm', callId: 'a' }],
      ['tool.ended', 1300, { name: 'crm', callId: 'a', error: 'timeout' }],
      ['tool.started', 1400, { name: 'crm', callId: 'b' }],
      ['agent.speech.started', 2000],
      ['agent.speech.ended', 3000],
    ]);
    const [a, b] = record.turns[0]!.tools;
    expect(a).toMatchObject({ error: 'timeout', unfinished: false });
    expect(b).toMatchObject({ endedAt: null, durationMs: null, unfinished: true });
    expect(record.turns[0]!.errors).toEqual([
      { layer: 'tool', message: 'timeout', recoverable: true, at: T0 + 1300 },
    ]);
  });
});

describe('Conversation: time nobody measured', () => {
  /** plainTurn(0) without the events of the given components. */
  const without = (...drop: string[]) =>
    run(plainTurn(0).filter(([type]) => !drop.some((d) => type.startsWith(d)))).record.turns[0]!;
  const sum = (b: Record<string, number>) => Object.values(b).reduce((x, y) => x + y, 0);

  it.each([
    // [dropped components, breakdown]: e2e is 820 ms in every case.
    [
      'stt, end of turn and tts (only the LLM)',
      ['stt', 'turn', 'tts'],
      { llm: 400, other: 0, unmeasured: 420 },
    ],
    ['end of turn and tts (STT and LLM)', ['turn', 'tts'], { stt: 150, llm: 400, other: 0, unmeasured: 270 }],
    ['tts (STT, end of turn, LLM)', ['tts'], { turn_detection: 300, llm: 400, other: 0, unmeasured: 120 }],
    ['stt, end of turn and llm (only TTS)', ['stt', 'turn', 'llm'], { tts: 100, other: 10, unmeasured: 710 }],
    // The 10 ms from the TTS's first audio to the agent's speech lie after a measured stage: network.
    ['the LLM', ['llm'], { turn_detection: 300, tts: 100, other: 10, unmeasured: 410 }],
  ] as const)('without %s, the uncovered time is unmeasured, not network', (_, drop, expected) => {
    const t = without(...drop);
    expect(t.e2eLatencyMs).toBe(820);
    expect(t.breakdown).toMatchObject(expected);
    expect(sum(t.breakdown!)).toBe(820);
    // Time nobody measured is never the bottleneck.
    expect(t.bottleneck?.component).not.toBe('unmeasured');
  });

  it('a gap between two measured stages is network even when an unrelated stage is missing', () => {
    // End-of-turn detection covers the whole start of the wait, so the missing STT sits under it.
    const t = without('stt');
    expect(t.breakdown).toMatchObject({ turn_detection: 300, llm: 400, tts: 100, other: 20, unmeasured: 0 });
  });

  it('the end of the turn counts as measured only with both STT and end-of-turn detection', () => {
    // Detection first, then STT (as Vapi reports them); the LLM starts 100 ms after the transcript.
    const turn: Ev[] = [
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['turn.end_detected', 1200, { delayMs: 200 }],
      ['stt.final', 1500, { transcript: 'hi', latencyMs: 300 }],
      ['llm.started', 1600],
      ['llm.first_token', 1900],
      ['tts.started', 1900],
      ['tts.first_audio', 2000],
      ['agent.speech.started', 2000],
    ];
    const full = run(turn).record.turns[0]!;
    expect(full.breakdown).toMatchObject({ turn_detection: 200, stt: 300, llm: 300, tts: 100, other: 100 });
    // Without the STT figure the 400 ms after detection could be transcription: unmeasured.
    const noStt = run(turn.filter(([type]) => type !== 'stt.final')).record.turns[0]!;
    expect(noStt.breakdown).toMatchObject({ turn_detection: 200, other: 0, unmeasured: 400 });
  });

  it('a real network gap in a fully reported turn stays network', () => {
    const late = plainTurn(0).map(([type, dt, x]): Ev =>
      type === 'agent.speech.started' ? [type, dt + 480, x] : [type, dt, x],
    );
    const t = run(late).record.turns[0]!;
    expect(t.breakdown).toMatchObject({ tts: 100, other: 500, unmeasured: 0 });
  });
});

describe('Conversation: interruptions', () => {
  it('a barge-in marks the interrupted turn, even when its end arrives after the next turn opened', () => {
    const { record } = run([
      ...plainTurn(0).filter(([type]) => type !== 'agent.speech.ended' && type !== 'tts.ended'),
      ['user.speech.started', 2500], // caller talks over the agent
      ['agent.speech.ended', 2700, { interrupted: true }], // arrives after turn 2 opened
      ['tts.ended', 2700, { cancelled: true }],
      ['user.speech.ended', 3500],
      ['agent.speech.started', 4300],
      ['agent.speech.ended', 5000],
    ]);
    const [t1, t2] = record.turns;
    expect(t1).toMatchObject({ interrupted: true, agentSpeechEndedAt: T0 + 2700 });
    expect(t1!.tts[0]).toMatchObject({ cancelled: true, endedAt: T0 + 2700 });
    expect(t2).toMatchObject({ interrupted: false, e2eLatencyMs: 800, agentSpeechEndedAt: T0 + 5000 });
    expect(record.interruptions).toBe(1);
  });

  it('user.interrupted marks the turn the agent was speaking in', () => {
    const { record } = run([
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['agent.speech.started', 1800],
      ['user.interrupted', 2200],
      ['agent.speech.ended', 2300],
    ]);
    expect(record.turns[0]!.interrupted).toBe(true);
    expect(record.interruptions).toBe(1);
  });
});

describe('Conversation: messy streams', () => {
  it('out of order: ends before starts and events of the previous turn after the next opened', () => {
    const list = plainTurn(0);
    const swapped: Ev[] = [
      list[0]!,
      list[2]!, // stt.final before user.speech.ended
      list[1]!,
      list[3]!,
      list[5]!, // llm.first_token before llm.started
      list[4]!,
      ...list.slice(6),
    ];
    // turn 1's TTS end and agent speech end only arrive after turn 2 opened
    const held = swapped.filter(([type]) => type !== 'tts.ended' && type !== 'agent.speech.ended');
    const { record, codes } = run([
      ...held,
      ['user.speech.started', 5000],
      ['tts.ended', 2900, { characters: 42 }],
      ['agent.speech.ended', 3000],
    ]);
    const t = record.turns[0]!;
    expect(t.tts).toEqual([expect.objectContaining({ durationMs: 1190, characters: 42, unfinished: false })]);
    expect(t.agentSpeechEndedAt).toBe(T0 + 3000);
    expect(record.turns[1]!.tts).toEqual([]);
    expect(t.e2eLatencyMs).toBe(820);
    expect(t.stt?.latencyMs).toBe(150);
    // first_token arrived before llm.started: the late start is adopted by the same call.
    expect(t.llm).toHaveLength(1);
    expect(t.llm[0]).toMatchObject({ ttftMs: 400, durationMs: 700, unfinished: false });
    expect(codes).toEqual(['missing_start']);
    expect(record.turns).toHaveLength(2);
  });

  it('a tool whose end arrives before its start is one call', () => {
    const { record } = run([
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['tool.ended', 1600, { name: 'crm', callId: 'x', result: 'ok' }],
      ['tool.started', 1200, { name: 'crm', callId: 'x', arguments: { q: 1 } }],
      ['agent.speech.started', 2000],
    ]);
    expect(record.turns[0]!.tools).toEqual([
      expect.objectContaining({
        callId: 'x',
        startedAt: T0 + 1200,
        endedAt: T0 + 1600,
        durationMs: 400,
        result: 'ok',
      }),
    ]);
  });

  it('an earlier user.speech.started moves the turn start back (a late VAD decision)', () => {
    const { record, codes } = run([
      ...plainTurn(0),
      ['user.speech.started', 5060], // the VAD decision
      ['user.speech.started', 5000], // the speech really started here
      ['user.speech.ended', 6000],
      ['agent.speech.started', 6800],
    ]);
    expect(codes).toEqual([]);
    expect(record.turns[1]).toMatchObject({ startedAt: T0 + 5000, userSpeechStartedAt: T0 + 5000 });
    expect(record.turns[0]!.endedAt).toBe(T0 + 5000);
  });

  it('stt latency null means unknown: never derived', () => {
    const t = run([
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['stt.final', 1200, { transcript: 'hi', latencyMs: null }],
      ['agent.speech.started', 1800],
    ]).record.turns[0]!;
    expect(t.stt?.latencyMs).toBeNull();
    expect(t.breakdown?.stt).toBe(0);
  });

  it('duplicates are dropped and counted', () => {
    const list = plainTurn(0);
    const { record, codes } = run([...list, list[8]!, list[1]!, list[2]!]);
    expect(record.turns[0]!.e2eLatencyMs).toBe(820);
    expect(record.turns[0]!.stt?.transcript).toBe('book a table for two');
    expect(record.stats.duplicates).toBe(3);
    expect(codes.filter((c) => c === 'duplicate_event')).toHaveLength(3);
  });

  it('a second agent.speech.started (after a tool) does not change the latency', () => {
    const { record } = run([
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['agent.speech.started', 1500], // "let me check"
      ['agent.speech.ended', 2000],
      ['agent.speech.started', 3500], // the answer
      ['agent.speech.ended', 5000],
    ]);
    expect(record.turns[0]).toMatchObject({ e2eLatencyMs: 500, agentSpeechEndedAt: T0 + 5000 });
  });

  it('missing events: llm.ended without start, no user speech end → latency unknown, never a guess', () => {
    const { record, codes } = run([
      ['user.speech.started', 0],
      ['llm.ended', 1500, { outputTokens: 12 }],
      ['agent.speech.started', 1800],
    ]);
    const t = record.turns[0]!;
    expect(t.e2eLatencyMs).toBeNull();
    expect(t.breakdown).toBeNull();
    expect(t.llm[0]).toMatchObject({ startedAt: null, durationMs: null, ttftMs: null, outputTokens: 12 });
    expect(codes).toEqual(['missing_start']);
  });

  it('agent audio before the end of user speech leaves the latency unknown', () => {
    const { record, codes } = run([
      ['user.speech.started', 0],
      ['agent.speech.started', 500],
      ['user.speech.ended', 1000],
    ]);
    expect(record.turns[0]!.e2eLatencyMs).toBeNull();
    expect(codes).toContain('negative_latency');
  });

  it('invalid events are counted and reported, never thrown, and do not disturb the call', () => {
    const diagnostics: Diagnostic[] = [];
    const c = new Conversation({ id: 'c2', startedAt: T0, onDiagnostic: (d) => diagnostics.push(d) });
    const bad: unknown[] = [
      null,
      42,
      'user.speech.started',
      { type: 'nope' },
      { type: 'stt.final' }, // transcript missing
      { type: 'tool.started', name: '', callId: 'x' },
      { type: 'error', layer: 'database', message: 'x' },
      { type: 'llm.ended', at: -5 },
      { type: 'llm.ended', at: Number.NaN },
      { type: 'stt.final', transcript: 'hi', confidence: 3 },
    ];
    for (const [i, e] of events(plainTurn(0)).entries()) {
      c.record(e);
      if (bad[i] !== undefined) expect(() => c.record(bad[i])).not.toThrow();
    }
    const record = c.end({ endedAt: T0 + 4000 });
    expect(record.turns[0]!.e2eLatencyMs).toBe(820);
    expect(record.stats.invalid).toBe(bad.length);
    expect(diagnostics.filter((d) => d.code === 'invalid_event')).toHaveLength(bad.length);
    expect(diagnostics.find((d) => (d.detail as { type?: string })?.type === 'error')?.message).toMatch(
      /layer/,
    );
  });

  it('a throwing onDiagnostic or onTurn callback does not break the conversation', () => {
    const c = new Conversation({
      id: 'c3',
      startedAt: T0,
      onDiagnostic: () => {
        throw new Error('user bug');
      },
      onTurn: () => {
        throw new Error('user bug');
      },
    });
    expect(() => {
      c.record({ type: 'bogus' });
      for (const e of events([...plainTurn(0), ...plainTurn(5000)])) c.record(e);
    }).not.toThrow();
    expect(c.end().turns).toHaveLength(2);
  });

  it('events after the end are dropped with a diagnostic', () => {
    const codes: string[] = [];
    const c = new Conversation({ id: 'c4', startedAt: T0, onDiagnostic: (d) => codes.push(d.code) });
    c.end();
    c.record({ type: 'user.speech.started', at: T0 + 1 });
    expect(codes).toEqual(['after_end']);
  });

  it('a turn is finalized once the late-event grace has passed, and later stragglers are counted late', () => {
    const turns: number[] = [];
    const codes: string[] = [];
    const c = new Conversation({
      id: 'c5',
      startedAt: T0,
      lateGraceMs: 1000,
      onTurn: (t) => turns.push(t.index),
      onDiagnostic: (d) => codes.push(d.code),
    });
    for (const e of events([...plainTurn(0), ['user.speech.started', 5000]])) c.record(e);
    expect(turns).toEqual([]); // turn 1 still open to late events
    c.record({ type: 'user.speech.ended', at: T0 + 6500 });
    expect(turns).toEqual([1]);
    c.record({ type: 'stt.final', at: T0 + 1200, transcript: 'late' });
    expect(codes).toEqual(['late_event']);
    expect(c.end().stats.late).toBe(1);
  });
});

describe('Conversation: errors and endings', () => {
  it('an unrecoverable error makes the default outcome error', () => {
    const { record } = run([
      ...plainTurn(0),
      ['error', 3500, { layer: 'llm', message: '429', recoverable: false }],
    ]);
    expect(record.outcome).toBe('error');
    expect(record.turns[0]!.errors).toEqual([
      { layer: 'llm', message: '429', recoverable: false, at: T0 + 3500 },
    ]);
  });

  it('an error before any turn is kept on the conversation', () => {
    const { record } = run([['error', 10, { layer: 'telephony', message: 'SIP 503', recoverable: false }]]);
    expect(record.turnCount).toBe(0);
    expect(record.errors).toHaveLength(1);
    expect(record.outcome).toBe('error');
  });

  it('an abandoned call: the idle end closes open components and the turn', () => {
    const c = new Conversation({ id: 'c6', startedAt: T0 });
    for (const e of events([
      ['user.speech.started', 0],
      ['user.speech.ended', 1000],
      ['llm.started', 1300],
    ]))
      c.record(e);
    const record = c.end({ endedAt: T0 + 600_000 }, 'idle_timeout');
    expect(record).toMatchObject({ outcome: 'abandoned', endReason: 'idle_timeout', turnCount: 1 });
    expect(record.turns[0]!.llm[0]).toMatchObject({ unfinished: true, durationMs: null });
    expect(record.turns[0]!.endedAt).toBe(T0 + 600_000);
  });

  it('end() is idempotent', () => {
    const c = new Conversation({ id: 'c7', startedAt: T0 });
    const a = c.end({ outcome: 'transferred', endedAt: T0 + 10 });
    const b = c.end({ outcome: 'completed' });
    expect(b).toBe(a);
    expect(b.outcome).toBe('transferred');
  });
});

import {
  type ConversationRecord,
  parseFixture,
  replayConversation,
  replayFixture,
  toFixture,
  type TurnRecord,
} from '@voxtrace/core';
import { describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;
const ev = (type: string, dt: number, extra: object = {}) => ({ type, at: T0 + dt, ...extra });

/** Greeting, a tool turn with an error event, a barge-in, an unfinished tool. */
const events = [
  ev('llm.started', 100, { provider: 'openai', model: 'gpt-4o-mini', attributes: { greeting: true } }),
  ev('llm.first_token', 400),
  ev('tts.started', 410, { provider: 'cartesia', voice: 'v1' }),
  ev('tts.first_audio', 500),
  ev('agent.speech.started', 520),
  ev('llm.ended', 600, { inputTokens: 50, outputTokens: 10 }),
  ev('tts.ended', 1900, { characters: 30 }),
  ev('agent.speech.ended', 2000),
  ev('user.speech.started', 3000, { attributes: { 'vapi.turn': 1 } }),
  ev('user.speech.ended', 4500),
  ev('stt.final', 4650, {
    transcript: 'reschedule for jane@example.com',
    provider: 'deepgram',
    confidence: 0.8,
  }),
  ev('turn.end_detected', 4800, { delayMs: 300 }),
  ev('llm.started', 4800, { provider: 'openai', model: 'gpt-4o-mini' }),
  ev('llm.first_token', 5100),
  ev('llm.ended', 5200, { inputTokens: 400, outputTokens: 20 }),
  ev('tool.started', 5210, { name: 'move', callId: 'c1', arguments: { to: 'Tue' } }),
  ev('tool.ended', 5610, { name: 'move', callId: 'c1', error: 'slot taken' }),
  ev('error', 5620, { layer: 'dialog', message: 'fallback prompt', recoverable: true }),
  ev('llm.started', 5620),
  ev('llm.first_token', 5900),
  ev('tts.started', 5910),
  ev('tts.first_audio', 6000),
  ev('agent.speech.started', 6010),
  ev('user.speech.started', 7000),
  ev('agent.speech.ended', 7100, { interrupted: true }),
  ev('tts.ended', 7100, { cancelled: true }),
  ev('llm.ended', 7100, { cancelled: true }),
  ev('user.speech.ended', 8000),
  ev('tool.started', 8100, { name: 'lookup', callId: 'c2' }),
  ev('agent.speech.started', 8900),
  ev('agent.speech.ended', 9500),
];

/** The parts of a turn a fixture must reproduce. */
function essence(t: TurnRecord) {
  const { conversationId: _c, stt, ...rest } = t;
  return { ...rest, stt: stt && { ...stt, transcript: undefined, partials: 0 } };
}

describe('fixtures', () => {
  const original: ConversationRecord = replayConversation(events, {
    id: 'conv-fx',
    platform: 'vapi',
    startedAt: T0,
    attributes: { tenant: 'acme' },
    end: { outcome: 'transferred', taskCompleted: false, endedAt: T0 + 10_000 },
  });

  it('replaying a fixture rebuilds the same turns, latencies and breakdowns', () => {
    expect(original.turns.map((t) => [t.index, t.initiator, t.e2eLatencyMs, t.interrupted])).toEqual([
      [1, 'agent', null, false],
      [2, 'user', 1510, true],
      [3, 'user', 900, false],
    ]);
    const fixture = parseFixture(JSON.stringify(toFixture(original)));
    const replayed = replayFixture(fixture);
    expect(replayed.turns.map(essence)).toEqual(
      original.turns.map(essence).map((t) => ({
        ...t,
        // tool arguments come back as their (redacted) JSON text
        tools: t.tools.map((c) => ({
          ...c,
          arguments: c.arguments === undefined ? undefined : JSON.stringify(c.arguments),
        })),
      })),
    );
    expect(replayed).toMatchObject({
      id: 'conv-fx',
      platform: 'vapi',
      outcome: 'transferred',
      taskCompleted: false,
      endedAt: T0 + 10_000,
      attributes: { tenant: 'acme' },
      interruptions: 1,
    });
  });

  it('redacts text by default, keeps it with content full, drops it with none', () => {
    const redacted = JSON.stringify(toFixture(original));
    expect(redacted).not.toContain('jane@example.com');
    expect(redacted).toContain('[EMAIL]');
    expect(JSON.stringify(toFixture(original, { content: 'full' }))).toContain('jane@example.com');
    const none = toFixture(original, { content: 'none' });
    expect(none.events.find((e) => e.type === 'stt.final')).toMatchObject({ transcript: '' });
  });

  it('rejects what is not a fixture, naming the problem', () => {
    expect(() => parseFixture('{"voxtraceFixture":2}')).toThrow(/voxtraceFixture/);
    expect(() => parseFixture({ voxtraceFixture: 1, conversation: {}, events: [{ type: 'nope' }] })).toThrow(
      /not a voxtrace fixture/,
    );
  });
});

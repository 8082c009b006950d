/**
 * The conversation store on real voxtrace spans: any arrival order and batching gives the same
 * conversations; live calls show before their conversation span; memory stays bounded; the waterfall
 * derives speech bounds that match the records and marks the bottleneck.
 */
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ConversationStore, type ReceivedSpan, SPEECH_ATTR } from '@voxtrace/cli';
import { createVoxtrace, type TurnRecord, type Voxtrace } from '@voxtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { healthyTurn, recordCall, recordTurns } from './helpers/calls.js';
import { expectedSpan, KeepSpans } from './helpers/spans.js';

const T0 = 1_763_700_000_000;

/** Runs `record` on a voxtrace whose spans are kept; returns them as received spans, and the turn records. */
async function capture(
  record: (vt: Voxtrace) => void,
): Promise<{ spans: ReceivedSpan[]; turns: TurnRecord[] }> {
  const keep = new KeepSpans();
  const vt = createVoxtrace({ otlp: false, spanProcessors: [new SimpleSpanProcessor(keep)] });
  const turns: TurnRecord[] = [];
  vt.on('turn', (t) => turns.push(t));
  record(vt);
  await vt.shutdown();
  return { spans: keep.spans.map(expectedSpan), turns };
}

function threeCalls(vt: Voxtrace): void {
  recordCall(vt, { id: 'c1', startedAt: T0, turns: [0, 1, 2].map((i) => healthyTurn(i)) });
  recordCall(vt, {
    id: 'c2',
    startedAt: T0 + 30_000,
    turns: [healthyTurn(0), healthyTurn(1, { ttftMs: 3200, tool: { name: 'search', ms: 600 } })],
  });
  recordCall(vt, { id: 'c3', startedAt: T0 + 60_000, turns: [healthyTurn(0, { llmError: 'upstream 503' })] });
}

function views(store: ConversationStore) {
  return store.conversations().map((c) => store.conversation(c.traceId));
}

describe('ConversationStore', () => {
  it('rebuilds the same conversations whatever the order, batching and retries of the spans', async () => {
    const { spans } = await capture(threeCalls);
    const reference = new ConversationStore();
    reference.ingest(spans);
    const expected = views(reference);
    expect(expected.map((v) => [v!.conversationId, v!.turns.length])).toEqual([
      ['c3', 1],
      ['c2', 2],
      ['c1', 3],
    ]);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(spans, { minLength: spans.length }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1 }),
        fc.subarray(spans),
        (order, sizes, retried) => {
          const store = new ConversationStore();
          const all = [...order, ...retried];
          for (let i = 0, b = 0; i < all.length; b++) {
            const n = sizes[b % sizes.length]!;
            store.ingest(all.slice(i, i + n));
            i += n;
          }
          expect(views(store)).toEqual(expected);
          expect(store.stats()).toMatchObject({ spans: spans.length, duplicateSpans: retried.length });
          // Order-independent: the latency panel too.
          expect(store.latency()).toEqual(reference.latency());
        },
      ),
      { numRuns: 60 },
    );
  });

  it('shows a live call from its turns, before the conversation span arrives at the end', async () => {
    const { spans } = await capture(threeCalls);
    const c1 = spans.filter((s) => s.attributes['conversation.id'] === 'c1');
    const store = new ConversationStore();
    store.ingest(c1.filter((s) => s.name !== 'conversation'));
    const live = store.conversations()[0]!;
    expect(live).toMatchObject({
      conversationId: 'c1',
      live: true,
      outcome: null,
      platform: null,
      endedAt: null,
      turnCount: 3,
    });
    expect(live.startedAt).toBe(Math.min(...c1.filter((s) => s.name === 'turn').map((s) => s.startMs)));
    const version = store.version;
    store.ingest(c1.filter((s) => s.name === 'conversation'));
    expect(store.version).toBeGreaterThan(version);
    expect(store.conversations()[0]).toMatchObject({
      live: false,
      outcome: 'completed',
      platform: 'livekit',
      turnCount: 3,
    });
  });

  it('keeps the last N conversations, evicting the least recently updated', async () => {
    const { spans } = await capture((vt) => {
      for (let i = 0; i < 5; i++)
        recordCall(vt, { id: `ring-${i}`, startedAt: T0 + i * 20_000, turns: [healthyTurn(i)] });
    });
    const of = (id: string) => spans.filter((s) => s.attributes['conversation.id'] === id);
    const store = new ConversationStore({ maxConversations: 3 });
    store.ingest(of('ring-0'));
    store.ingest(of('ring-1'));
    store.ingest(of('ring-2'));
    store.ingest(of('ring-0').slice(0, 1)); // a retried span still counts as activity
    store.ingest(of('ring-3'));
    store.ingest(of('ring-4'));
    expect(store.conversations().map((c) => c.conversationId)).toEqual(['ring-4', 'ring-3', 'ring-0']);
    expect(store.stats()).toMatchObject({ conversations: 3, evictedConversations: 2 });
  });

  it('caps the spans of one conversation but still takes its conversation span', async () => {
    const { spans } = await capture((vt) => {
      recordCall(vt, {
        id: 'long',
        startedAt: T0,
        turns: Array.from({ length: 6 }, (_, i) => healthyTurn(i)),
      });
    });
    const store = new ConversationStore({ maxSpansPerConversation: 10 });
    store.ingest(spans.filter((s) => s.name !== 'conversation'));
    store.ingest(spans.filter((s) => s.name === 'conversation'));
    const c = store.conversations()[0]!;
    expect(c).toMatchObject({ live: false, outcome: 'completed', turnCount: 6 });
    expect(c.droppedSpans).toBe(spans.length - 11);
    expect(store.stats()).toMatchObject({ spans: 11, droppedSpans: spans.length - 11 });
  });

  it('ignores spans that are not voxtrace conversation spans', async () => {
    const { spans } = await capture((vt) =>
      recordCall(vt, { id: 'mixed', startedAt: T0, turns: [healthyTurn(0)] }),
    );
    const turn = spans.find((s) => s.name === 'turn')!;
    const store = new ConversationStore();
    store.ingest([
      { ...turn, spanId: '1111111111111111', name: 'agent_session' }, // another instrumentation's span
      { ...turn, spanId: '2222222222222222', attributes: {} }, // a `turn` without conversation.id
    ]);
    expect(store.conversations()).toEqual([]);
    expect(store.stats()).toMatchObject({ ignoredSpans: 2, spans: 0 });
  });
});

describe('turn waterfall', () => {
  it('derives each turn speech bounds exactly and marks the bottleneck segments', async () => {
    const { spans, turns } = await capture(threeCalls);
    const store = new ConversationStore();
    store.ingest(spans);
    const c2 = store.conversation(store.conversations().find((c) => c.conversationId === 'c2')!.traceId)!;
    const records = turns.filter((t) => t.conversationId === 'c2');
    for (const [i, t] of c2.turns.entries()) {
      const r = records[i]!;
      const user = t.segments.find((s) => s.kind === 'user_speech')!;
      const agent = t.segments.find((s) => s.kind === 'agent_speech')!;
      expect([user.startMs, user.endMs, agent.startMs]).toEqual([
        r.userSpeechStartedAt,
        r.userSpeechEndedAt,
        r.agentSpeechStartedAt,
      ]);
      // The turn span carries the agent's end of speech: exact, not estimated.
      expect([agent.endMs, agent.estimated]).toEqual([r.agentSpeechEndedAt, false]);
    }
    const slow = c2.turns[1]!;
    // The span rounds the share to 3 digits.
    expect(slow.bottleneck).toEqual({
      component: 'llm',
      share: Math.round(records[1]!.bottleneck!.share * 1000) / 1000,
    });
    const marked = slow.segments.filter((s) => s.bottleneck).map((s) => s.kind);
    // Both LLM calls' waits (the first whole, before the tool), not the answer's generation, not TTS.
    expect(marked).toEqual(['llm_ttft', 'llm_generation', 'llm_ttft']);
    expect(slow.segments.map((s) => s.kind)).toEqual([
      'user_speech',
      'stt',
      'turn_detection',
      'llm_ttft',
      'llm_generation',
      'tool',
      'llm_ttft',
      'llm_generation',
      'tts_ttfb',
      'tts_synthesis',
      'agent_speech',
    ]);
    expect(c2.turns[0]!.segments.some((s) => s.bottleneck)).toBe(records[0]!.bottleneck !== null);

    const c3 = store.conversation(store.conversations().find((c) => c.conversationId === 'c3')!.traceId)!;
    const failed = c3.turns[0]!.segments.find((s) => s.kind === 'llm_generation')!;
    expect(failed.error).toBe('upstream 503');
    expect(c3.turns[0]!.errorLayers).toEqual(['llm']);
    expect(store.conversations().find((c) => c.conversationId === 'c3')!.errorTurns).toBe(1);
  });

  it('estimates the end of agent speech as the turn end when the span does not carry it', async () => {
    const { spans } = await capture((vt) => {
      const conv = vt.startConversation({ id: 'explicit', startedAt: T0 });
      const rec = recordTurns(conv, T0 + 100, [healthyTurn(0)]);
      conv.end({ endedAt: rec.endAt + 5000 });
    });
    // A span from an older voxtrace (or another producer) without the speech timestamps.
    const stripped = spans.map((s) =>
      s.name === 'turn'
        ? { ...s, attributes: { ...s.attributes, [SPEECH_ATTR.agentSpeechEndedAt]: undefined } }
        : s,
    );
    const store = new ConversationStore();
    store.ingest(stripped as typeof spans);
    const turn = store.conversation(store.conversations()[0]!.traceId)!.turns[0]!;
    const agent = turn.segments.find((s) => s.kind === 'agent_speech')!;
    expect(agent.estimated).toBe(true);
  });

  it('an agent greeting has no user speech and is anchored at its start', async () => {
    const { spans, turns } = await capture((vt) => {
      const conv = vt.startConversation({ id: 'greeting', startedAt: T0 });
      conv.record({ type: 'llm.started', at: T0 + 100 });
      conv.record({ type: 'llm.first_token', at: T0 + 400 });
      conv.record({ type: 'tts.started', at: T0 + 410 });
      conv.record({ type: 'tts.first_audio', at: T0 + 520 });
      conv.record({ type: 'agent.speech.started', at: T0 + 530 });
      conv.record({ type: 'agent.speech.ended', at: T0 + 2500 });
      conv.end({ endedAt: T0 + 3000 });
    });
    const store = new ConversationStore();
    store.ingest(spans);
    const turn = store.conversation(store.conversations()[0]!.traceId)!.turns[0]!;
    expect(turns[0]).toMatchObject({ initiator: 'agent', e2eLatencyMs: null });
    expect(turn).toMatchObject({
      initiator: 'agent',
      e2eMs: null,
      userSpeechEndedAt: null,
      bottleneck: null,
    });
    expect(turn.segments.map((s) => s.kind)).toEqual([
      'llm_ttft',
      'llm_generation',
      'tts_ttfb',
      'tts_synthesis',
      'agent_speech',
    ]);
    // The turn span carries the first agent audio.
    expect(turn.agentSpeechStartedAt).toBe(T0 + 530);
  });

  it('holds a byte budget: values cut to their cap, the least recently updated conversations evicted whole', async () => {
    const { spans } = await capture((vt) => {
      for (let i = 0; i < 12; i++)
        recordCall(vt, {
          id: `big-${i}`,
          startedAt: T0 + i * 20_000,
          turns: [healthyTurn(0), healthyTurn(1)],
        });
    });
    const huge = 'é'.repeat(200_000);
    const swell = (events: number) =>
      spans.map((s): ReceivedSpan => ({
        ...s,
        attributes: {
          ...s.attributes,
          'app.blob': huge,
          'app.list': Array.from({ length: 5000 }, () => huge),
        },
        events: Array.from({ length: events }, () => ({
          name: 'e',
          timeMs: s.startMs,
          attributes: { m: huge },
        })),
      }));
    const swollen = swell(20);
    const of = (id: string) => swollen.filter((s) => s.attributes['conversation.id'] === id);
    const maxBytes = 8 * 1024 * 1024;
    const store = new ConversationStore({ maxBytes, maxValueBytes: 4096 });
    for (let i = 0; i < 12; i++) {
      store.ingest(of(`big-${i}`));
      expect(store.stats().bytes).toBeLessThanOrEqual(maxBytes);
    }
    const stats = store.stats();
    expect(stats.evictedForBytes).toBeGreaterThan(0);
    expect(stats.evictedConversations).toBe(stats.evictedForBytes);
    expect(stats.truncatedValues).toBeGreaterThan(0);
    // The newest conversations are whole; the evicted ones are gone whole.
    const kept = store.conversations().map((c) => c.conversationId);
    expect(kept[0]).toBe('big-11');
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, k) => `big-${11 - k}`));
    expect(kept.length + stats.evictedConversations).toBe(12);
    for (const c of store.conversations()) {
      expect(c.droppedSpans).toBe(0);
      expect(store.spans(c.traceId)).toHaveLength(of(c.conversationId).length);
    }
    // A value keeps at most its cap (4096 bytes at 2 per character), a span 64 values' worth.
    for (const span of store.spans(store.conversations()[0]!.traceId)!) {
      expect((span.attributes['app.blob'] as string).length).toBeLessThanOrEqual(2048);
      expect(JSON.stringify(span).length).toBeLessThan(64 * 2048 * 1.5);
    }
    // One conversation may hold a quarter of the budget: past it, its spans are dropped and counted.
    const alone = new ConversationStore({ maxBytes, maxValueBytes: 4096 });
    alone.ingest(swell(300).filter((s) => s.attributes['conversation.id'] === 'big-0'));
    const c = alone.conversations()[0]!;
    expect(c.droppedSpans).toBeGreaterThan(0);
    expect(c.live).toBe(false); // its conversation span is still taken
    expect(alone.stats().bytes).toBeLessThanOrEqual(maxBytes / 4 + 64 * 4096 + 4096);
  });
});

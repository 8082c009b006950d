/**
 * The two golden fixtures (Pipecat's real RTVIObserver output) through `ingest`, with every expected
 * value of research/pipecat.md §5.4 checked on the exported spans and the records.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ConversationRecord } from '@voxtrace/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { genAiKeys, unknownGenAiKeys } from '../../../test/helpers/semconv.js';
import { children, durationMs, endAt, F1, F2, fixture, replay, setup, startAt, turns } from './helpers.js';

describe('fixture 1: greeting, get_weather tool turn, closing turn (report level FULL, usage on)', () => {
  let spans: ReadableSpan[];
  let record: ConversationRecord;
  let t: ReadableSpan[];
  let ctx: ReturnType<typeof setup>;

  beforeAll(async () => {
    ctx = setup();
    replay(ctx.bridge, fixture(F1), 'conv-f1');
    record = ctx.bridge.end('conv-f1')!;
    await ctx.vt.forceFlush();
    spans = ctx.spans();
    t = turns(spans);
  });

  it('numbers three turns, as TurnTrackingObserver does', () => {
    expect(record.turnCount).toBe(3);
    expect(t.map((s) => s.attributes['turn.index'])).toEqual([1, 2, 3]);
    const conv = spans.find((s) => s.name === 'conversation')!;
    expect(conv.attributes['voice.platform']).toBe('pipecat');
    expect(conv.attributes['voice.turn.count']).toBe(3);
    expect(conv.attributes['voice.call.outcome']).toBe('completed');
    expect(conv.attributes['pipecat.rtvi.version']).toBe('2.1.0');
    expect(conv.attributes['pipecat.library.version']).toBe('1.7.0');
  });

  it('turn 1: first bot speech 810 ms after bot-ready; LLM TTFB 410 ms, TTS TTFB 148 ms', () => {
    const turn = t[0]!;
    expect(turn.attributes['pipecat.first_bot_speech_latency_ms']).toBe(810);
    expect(turn.attributes['turn.initiator']).toBe('agent');
    expect(turn.attributes['turn.e2e_latency_ms']).toBeUndefined(); // no user speech to measure from
    const [llm] = children(spans, turn, 'llm');
    expect(llm!.attributes['llm.ttft_ms']).toBe(410);
    expect(llm!.attributes['gen_ai.usage.input_tokens']).toBe(212);
    expect(llm!.attributes['gen_ai.usage.output_tokens']).toBe(9);
    expect(llm!.attributes['gen_ai.request.model']).toBe('gpt-4.1');
    expect(llm!.attributes['gen_ai.provider.name']).toBe('openai');
    expect(llm!.attributes['pipecat.processing_ms']).toBe(571);
    const [tts] = children(spans, turn, 'tts');
    expect(tts!.attributes['tts.ttfb_ms']).toBe(148);
    expect(tts!.attributes['tts.characters']).toBe(30);
    expect(tts!.attributes['component.provider']).toBe('cartesia');
    expect([startAt(tts!), endAt(tts!)]).toEqual([1440, 2861]);
  });

  it('turn 2: user-stopped → bot-started 2060 ms; STT 220 ms; LLM 454 + 390 ms; tool 635 ms; TTS 158 ms', () => {
    const turn = t[1]!;
    expect(turn.attributes['turn.e2e_latency_ms']).toBe(2060);
    expect(turn.attributes['turn.initiator']).toBe('user');
    expect(turn.attributes['turn.interrupted']).toBe(false);
    expect(startAt(turn)).toBe(5200);

    const [stt] = children(spans, turn, 'stt');
    expect(stt!.attributes['component.latency_ms']).toBe(220);
    expect(stt!.attributes['component.provider']).toBe('deepgram');
    expect(stt!.attributes['component.model']).toBe('nova-3');
    expect(stt!.attributes['pipecat.stt.audio_ms']).toBe(7120);
    expect([startAt(stt!), endAt(stt!)]).toEqual([6902, 7122]);

    const llm = children(spans, turn, 'llm');
    expect(llm.map((s) => s.attributes['llm.ttft_ms'])).toEqual([454, 390]);
    expect(llm.map((s) => s.attributes['voice.llm.usage.total_tokens'])).toEqual([269, 308]);
    expect(llm.map((s) => s.attributes['gen_ai.usage.input_tokens'])).toEqual([251, 298]);
    expect(llm.map((s) => s.attributes['gen_ai.usage.output_tokens'])).toEqual([18, 10]);
    expect(llm.map((s) => s.attributes['gen_ai.usage.cache_read.input_tokens'])).toEqual([192, 256]);
    expect(llm.map((s) => [startAt(s), endAt(s)])).toEqual([
      [7246, 7893],
      [8540, 9112],
    ]);

    const [tool, ...more] = children(spans, turn, 'tool_call');
    expect(more).toEqual([]);
    expect(tool!.attributes['gen_ai.tool.name']).toBe('get_weather');
    expect(tool!.attributes['gen_ai.tool.call.id']).toBe('call_7fQ2');
    expect(durationMs(tool!)).toBe(635);
    expect(tool!.attributes['component.latency_ms']).toBe(635);
    expect(tool!.attributes['component.cancelled']).toBeUndefined();
    expect(String(tool!.attributes['gen_ai.tool.call.arguments'])).toContain('Lisbon');
    expect(String(tool!.attributes['gen_ai.tool.call.result'])).toContain('sunny');

    const [tts] = children(spans, turn, 'tts');
    expect(tts!.attributes['tts.ttfb_ms']).toBe(158);
    expect(tts!.attributes['tts.characters']).toBe(36);

    // The latency's critical path: LLM (647 + 390), tool 635, TTS 158, the rest 230: 224 ms between
    // measured stages, and 6 ms before the STT's 220 ms began, where no end of turn was reported.
    expect(turn.attributes['turn.latency_ms.llm']).toBe(1037);
    expect(turn.attributes['turn.latency_ms.tool']).toBe(635);
    expect(turn.attributes['turn.latency_ms.tts']).toBe(158);
    expect(turn.attributes['turn.latency_ms.stt']).toBe(0);
    expect(turn.attributes['turn.latency_ms.other']).toBe(224);
    expect(turn.attributes['turn.latency_ms.unmeasured']).toBe(6);
  });

  it('turn 3: 750 ms; LLM TTFB 414 ms; TTS TTFB 150 ms over two sentences (15 + 13 characters)', () => {
    const turn = t[2]!;
    expect(turn.attributes['turn.e2e_latency_ms']).toBe(750);
    expect(startAt(turn)).toBe(13500);
    expect(endAt(turn)).toBe(16351); // the session's last message: no later turn closes it
    const [stt] = children(spans, turn, 'stt');
    expect(stt!.attributes['component.latency_ms']).toBe(210);
    expect(children(spans, turn, 'llm')[0]!.attributes['llm.ttft_ms']).toBe(414);
    const [tts] = children(spans, turn, 'tts');
    expect(tts!.attributes['tts.ttfb_ms']).toBe(150);
    expect(tts!.attributes['tts.characters']).toBe(28);
  });

  it('sees no barge-in: bot-interrupted at each user-turn start came while the bot was silent', () => {
    expect(record.interruptions).toBe(0);
    expect(record.turns.every((x) => !x.interrupted)).toBe(true);
    expect(spans.find((s) => s.name === 'conversation')!.attributes['voice.call.interruptions']).toBe(0);
    expect(spans.some((s) => s.attributes['component.cancelled'])).toBe(false);
  });

  it('emits only OpenTelemetry gen_ai.* names (checked against @opentelemetry/semantic-conventions)', () => {
    const attributes = spans.map((s) => s.attributes);
    expect(genAiKeys(attributes)).toContain('gen_ai.usage.cache_read.input_tokens');
    expect(unknownGenAiKeys(attributes)).toEqual([]);
  });

  it('rolls up usage on the conversation span', () => {
    const conv = spans.find((s) => s.name === 'conversation')!.attributes;
    expect(conv['pipecat.usage.prompt_tokens']).toBe(212 + 251 + 298 + 322);
    expect(conv['pipecat.usage.completion_tokens']).toBe(9 + 18 + 10 + 7);
    expect(conv['pipecat.usage.total_tokens']).toBe(221 + 269 + 308 + 329);
    expect(conv['pipecat.usage.cache_read_input_tokens']).toBe(192 + 256 + 256);
    expect(conv['pipecat.usage.tts_characters']).toBe(30 + 36 + 15 + 13);
    expect(conv['pipecat.usage.stt_audio_ms']).toBe(7120 + 7390);
  });

  it('reports nothing: every message of the fixture is understood or knowingly unused', () => {
    expect(ctx.diagnostics).toEqual([]);
    // The deprecated bot-transcription (bot-llm-text and bot-output carry the same text) is counted, unread.
    expect(ctx.bridge.stats()).toMatchObject({
      received: 123,
      malformed: 0,
      ignored: 5,
      ignoredTypes: { 'bot-transcription': 5 },
      afterEnd: 0,
    });
  });
});

describe('fixture 2: tool call at the default report level, usage off', () => {
  let spans: ReadableSpan[];
  let record: ConversationRecord;
  let ctx: ReturnType<typeof setup>;

  beforeAll(async () => {
    ctx = setup();
    replay(ctx.bridge, fixture(F2), 'conv-f2');
    record = ctx.bridge.end('conv-f2')!;
    await ctx.vt.forceFlush();
    spans = ctx.spans();
  });

  it('is one user turn with the slow latency of 2900 ms, above the P50 critical threshold', () => {
    expect(record.turnCount).toBe(1);
    const [turn] = turns(spans);
    expect(turn!.attributes['turn.e2e_latency_ms']).toBe(2900);
    expect(record.turns[0]!.e2eLatencyMs).toBe(2900);
    expect(2900).toBeGreaterThan(ctx.vt.thresholds.e2eLatency.p50.criticalMs);
    // Where the wait went: LLM 596 + 370, the tool 1597, TTS 160, network 171, and 6 ms before the
    // STT's latency began, with no end of turn reported: unmeasured. No single part ≥ 60 %.
    expect(record.turns[0]!.breakdown).toEqual({
      stt: 0,
      turn_detection: 0,
      llm: 966,
      tool: 1597,
      tts: 160,
      other: 171,
      unmeasured: 6,
    });
    expect(record.turns[0]!.bottleneck).toBeNull();
  });

  it('builds the tool span from id-only messages: 1597 ms, named tool_call', () => {
    const [turn] = turns(spans);
    const [tool, ...more] = children(spans, turn!, 'tool_call');
    expect(more).toEqual([]);
    expect(tool!.attributes['gen_ai.tool.name']).toBe('tool_call');
    expect(tool!.attributes['gen_ai.tool.call.id']).toBe('call_Bk91');
    expect(durationMs(tool!)).toBe(1597);
    expect([startAt(tool!), endAt(tool!)]).toEqual([3503, 5100]);
    expect(tool!.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(tool!.attributes['gen_ai.tool.call.result']).toBeUndefined();
  });

  it('keeps the component figures: STT 200 ms, LLM 444 and 370 ms, TTS 160 ms; no usage', () => {
    const [turn] = turns(spans);
    expect(children(spans, turn!, 'stt')[0]!.attributes['component.latency_ms']).toBe(200);
    const llm = children(spans, turn!, 'llm');
    expect(llm.map((s) => s.attributes['llm.ttft_ms'])).toEqual([444, 370]);
    expect(llm.some((s) => s.attributes['gen_ai.usage.input_tokens'] !== undefined)).toBe(false);
    expect(children(spans, turn!, 'tts')[0]!.attributes['tts.ttfb_ms']).toBe(160);
    const conv = spans.find((s) => s.name === 'conversation')!.attributes;
    expect(Object.keys(conv).filter((k) => k.startsWith('pipecat.usage.'))).toEqual([]);
    expect(record.interruptions).toBe(0);
    expect(ctx.diagnostics).toEqual([]);
  });
});

/**
 * The normalisation rules of research/pipecat.md §5.1, one test (or group) each, on small message
 * sequences shaped like Pipecat's (field names and orderings from §1.3–1.5).
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { ConversationRecord } from '@voxtrace/core';
import { classifyProcessor, type PipecatBridgeOptions, secondsToMs } from '@voxtrace/pipecat-bridge';
import { describe, expect, it } from 'vitest';
import { unknownGenAiKeys } from '../../../test/helpers/semconv.js';
import { byName, durationMs, type FixtureEvent, messages, replay, setup, startAt, turns } from './helpers.js';

const LLM = 'OpenAILLMService#0';
const TTS = 'CartesiaTTSService#0';
const STT = 'DeepgramSTTService#0';
const metric = (key: string, processor: string, value: number, model?: string) => ({
  [key]: [{ processor, value, ...(model ? { model } : {}) }],
});

async function run(events: FixtureEvent[], options: PipecatBridgeOptions = {}) {
  const ctx = setup(options);
  replay(ctx.bridge, events, 'conv');
  const record = ctx.bridge.end('conv') as ConversationRecord;
  await ctx.vt.forceFlush();
  const spans = ctx.spans();
  return { ...ctx, record, spans, conversation: byName(spans, 'conversation')[0]! };
}

/** A user turn answered by the bot: user speech 0–900 ms, LLM from 1000, bot speech from 2000. */
function userTurn(extra: FixtureEvent[] = []): FixtureEvent[] {
  return [
    ...messages([0, 'user-started-speaking'], [900, 'user-stopped-speaking'], [1000, 'bot-llm-started']),
    ...extra,
    ...messages([2000, 'bot-started-speaking'], [3000, 'bot-stopped-speaking']),
  ].sort((a, b) => a.at_ms - b.at_ms);
}

const attrs = (spans: ReadableSpan[], name: string) => byName(spans, name).map((s) => s.attributes);

describe('seconds → milliseconds, converted once', () => {
  it('converts without float noise', () => {
    expect(secondsToMs(0.454)).toBe(454);
    expect(secondsToMs(1.005)).toBe(1005);
    expect(1.005 * 1000).not.toBe(1005); // what a naive conversion would put on the span
    expect(secondsToMs(7.12)).toBe(7120);
    expect(secondsToMs(0.0005)).toBe(0.5);
  });

  it('turns every duration Pipecat reports in seconds into ms on the spans', async () => {
    const { spans } = await run(
      userTurn(
        messages(
          [880, 'metrics', metric('ttfb', STT, 0.22, 'nova-3')],
          [881, 'metrics', { stt_usage: [{ processor: STT, value: { audio_seconds: 7.12 } }] }],
          [882, 'metrics', metric('processing', STT, 0.31)],
          [890, 'user-transcription', { text: 'hi', user_id: '', timestamp: 'x', final: true }],
          [1454, 'metrics', metric('ttfb', LLM, 0.454)],
          [1455, 'metrics', { ttfat: [{ processor: LLM, ttfat: 1.84, ttfb: 0.41, thinking_time: 1.43 }] }],
          [1600, 'bot-tts-started'],
          [1646, 'metrics', metric('processing', LLM, 1.005)],
          [1647, 'bot-llm-stopped'],
          [1751, 'metrics', metric('ttfb', TTS, 0.151)],
          [1752, 'metrics', { ttfa: [{ processor: TTS, ttfa: 0.212, ttfb: 0.151, leading_silence: 0.061 }] }],
          [1900, 'bot-tts-stopped'],
        ),
      ),
    );
    const [stt] = attrs(spans, 'stt');
    expect(stt!['component.latency_ms']).toBe(220);
    expect(stt!['pipecat.stt.audio_ms']).toBe(7120);
    expect(stt!['pipecat.processing_ms']).toBe(310);
    const [llm] = attrs(spans, 'llm');
    expect(llm!['llm.ttft_ms']).toBe(454);
    expect(llm!['pipecat.processing_ms']).toBe(1005);
    expect(llm!['pipecat.llm.ttfat_ms']).toBe(1840);
    expect(llm!['pipecat.llm.thinking_time_ms']).toBe(1430);
    const [tts] = attrs(spans, 'tts');
    expect(tts!['tts.ttfb_ms']).toBe(151);
    expect(tts!['pipecat.tts.ttfa_ms']).toBe(212);
    expect(tts!['pipecat.tts.leading_silence_ms']).toBe(61);
  });
});

describe('metric values ≤ 0 and empty metrics are ignored', () => {
  it('skips the initial all-zero metrics frame and non-positive values', async () => {
    const zeros = {
      ttfb: [STT, LLM, TTS].map((processor) => ({ processor, value: 0.0 })),
      processing: [STT, LLM, TTS].map((processor) => ({ processor, value: 0.0 })),
    };
    const { spans, diagnostics } = await run(
      userTurn(
        messages(
          [0, 'metrics', zeros],
          [1100, 'metrics', metric('ttfb', LLM, 0)],
          [1150, 'metrics', metric('ttfb', LLM, -0.5)],
          [1300, 'metrics', metric('ttfb', LLM, 0.3)],
          [1301, 'metrics', metric('processing', LLM, 0)],
          [1500, 'bot-tts-started'],
          [1501, 'metrics', metric('characters', TTS, 0)],
          [1600, 'bot-tts-stopped'],
          [1700, 'bot-llm-stopped'],
        ),
      ),
    );
    const [llm] = attrs(spans, 'llm');
    expect(llm!['llm.ttft_ms']).toBe(300);
    expect(llm!['pipecat.processing_ms']).toBeUndefined();
    expect(attrs(spans, 'tts')[0]!['tts.characters']).toBeUndefined();
    expect(diagnostics).toEqual([]);
  });

  it('accepts metrics with empty or missing data, and unknown metric keys, without a trace', async () => {
    const { spans, diagnostics, bridge } = await run(
      userTurn(
        messages(
          [1100, 'metrics', {}],
          [1101, 'metrics'],
          [1102, 'metrics', { smart_turn: [{ processor: 'LocalSmartTurnAnalyzerV3#0', is_complete: true }] }],
        ),
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(bridge.stats().malformed).toBe(0);
    expect(byName(spans, 'turn')).toHaveLength(1);
    expect(attrs(spans, 'llm')[0]!['llm.ttft_ms']).toBeUndefined();
  });
});

describe('tokens go to the active LLM', () => {
  it('puts each completion on the LLM call in progress, and late tokens on the totals only', async () => {
    const tokens = (p: number, c: number) => ({
      tokens: [{ prompt_tokens: p, completion_tokens: c, total_tokens: p + c }],
    });
    const { spans, conversation } = await run(
      userTurn(
        messages(
          [1100, 'metrics', tokens(100, 10)],
          [1200, 'bot-llm-stopped'],
          [1300, 'bot-llm-started'],
          [1400, 'metrics', tokens(200, 20)],
          [1500, 'bot-llm-stopped'],
          [1600, 'metrics', tokens(999, 99)], // no LLM in progress: not on either span
        ),
      ),
    );
    const llm = attrs(spans, 'llm');
    expect(llm.map((a) => [a['gen_ai.usage.input_tokens'], a['gen_ai.usage.output_tokens']])).toEqual([
      [100, 10],
      [200, 20],
    ]);
    expect(conversation.attributes['pipecat.usage.prompt_tokens']).toBe(1299);
    expect(conversation.attributes['pipecat.usage.completion_tokens']).toBe(129);
  });
});

describe('token details', () => {
  it("use GenAI's names where it has them and voice.llm.usage.* where it has none", async () => {
    const usage = {
      prompt_tokens: 300,
      completion_tokens: 40,
      total_tokens: 340,
      cache_read_input_tokens: 120,
      cache_creation_input_tokens: 60,
      reasoning_tokens: 8,
      input_audio_tokens: 250,
      output_audio_tokens: 35,
      cache_read_input_audio_tokens: 100,
    };
    const { spans } = await run(
      userTurn(messages([1100, 'metrics', { tokens: [usage] }], [1200, 'bot-llm-stopped'])),
    );
    expect(attrs(spans, 'llm')[0]).toMatchObject({
      'gen_ai.usage.input_tokens': 300,
      'gen_ai.usage.output_tokens': 40,
      'gen_ai.usage.cache_read.input_tokens': 120,
      'gen_ai.usage.cache_creation.input_tokens': 60,
      'gen_ai.usage.reasoning.output_tokens': 8,
      'voice.llm.usage.total_tokens': 340,
      'voice.llm.usage.audio.input_tokens': 250,
      'voice.llm.usage.audio.output_tokens': 35,
      'voice.llm.usage.audio.cache_read.input_tokens': 100,
    });
    expect(unknownGenAiKeys(spans.map((s) => s.attributes))).toEqual([]);
  });
});

describe('processors are classified by their …STTService / …LLMService / …TTSService suffix', () => {
  it('classifies names and providers', () => {
    expect(classifyProcessor('DeepgramSTTService#0')).toEqual({
      kind: 'stt',
      provider: 'deepgram',
      processor: 'DeepgramSTTService#0',
    });
    expect(classifyProcessor('OpenAILLMService#12')?.kind).toBe('llm');
    expect(classifyProcessor('OpenAILLMService#12')?.provider).toBe('openai');
    expect(classifyProcessor('ElevenLabsTTSService#1')).toMatchObject({
      kind: 'tts',
      provider: 'elevenlabs',
    });
    expect(classifyProcessor('GeminiLiveLLMService#0')?.provider).toBe('geminilive');
    expect(classifyProcessor('LocalSmartTurnAnalyzerV3#0')).toBeNull();
    expect(classifyProcessor('LLMUserAggregator#0')).toBeNull();
    expect(classifyProcessor('STTServiceWrapper#0')).toBeNull();
  });

  it('uses a metric as LLM or TTS timing only when its processor is of that kind', async () => {
    const { spans } = await run(
      userTurn(
        messages(
          [1100, 'metrics', metric('ttfb', 'LocalSmartTurnAnalyzerV3#0', 0.05)],
          [1101, 'metrics', metric('ttfb', TTS, 0.06)], // no TTS in progress
          [1250, 'metrics', metric('ttfb', 'MyCustomLLMService#2', 0.25, 'my-model')],
          [1300, 'bot-llm-stopped'],
        ),
      ),
    );
    const [llm] = attrs(spans, 'llm');
    expect(llm!['llm.ttft_ms']).toBe(250);
    expect(llm!['gen_ai.provider.name']).toBe('mycustom');
    expect(llm!['gen_ai.request.model']).toBe('my-model');
    expect(llm!['pipecat.processor']).toBe('MyCustomLLMService#2');
    expect(byName(spans, 'tts')).toEqual([]);
  });
});

describe('function calls', () => {
  const started = (at: number, name?: string) =>
    messages([at, 'llm-function-call-started', name ? { function_name: name } : {}])[0]!;
  const inProgress = (at: number, id: string, name?: string) =>
    messages([
      at,
      'llm-function-call-in-progress',
      { tool_call_id: id, ...(name ? { function_name: name } : {}) },
    ])[0]!;
  const stopped = (at: number, id: string, extra: object = {}) =>
    messages([at, 'llm-function-call-stopped', { tool_call_id: id, cancelled: false, ...extra }])[0]!;
  const tools = (spans: ReadableSpan[]) =>
    byName(spans, 'tool_call').map((s) => ({
      name: s.attributes['gen_ai.tool.name'],
      id: s.attributes['gen_ai.tool.call.id'],
      start: startAt(s),
      ms: durationMs(s),
      cancelled: s.attributes['component.cancelled'] ?? false,
    }));

  it('pairs llm-function-call-started FIFO with the next in-progress', async () => {
    const { spans, diagnostics } = await run(
      userTurn([
        started(1100, 'lookup'),
        started(1101, 'book'),
        inProgress(1200, 'c1'),
        inProgress(1201, 'c2'),
        stopped(1300, 'c1'),
        stopped(1400, 'c2'),
      ]),
    );
    expect(tools(spans)).toEqual([
      { name: 'lookup', id: 'c1', start: 1200, ms: 100, cancelled: false },
      { name: 'book', id: 'c2', start: 1201, ms: 199, cancelled: false },
    ]);
    expect(diagnostics).toEqual([]);
  });

  it('does not let a named call without a started (the cancel tool) take another call’s started', async () => {
    const { spans } = await run(
      userTurn([
        started(1100, 'lookup'),
        inProgress(1150, 'cancel-1', 'cancel_function'),
        inProgress(1200, 'c1'),
        stopped(1250, 'cancel-1'),
        stopped(1300, 'c1'),
      ]),
    );
    expect(tools(spans).map((t) => [t.id, t.name])).toEqual([
      ['cancel-1', 'cancel_function'],
      ['c1', 'lookup'],
    ]);
  });

  it('tolerates a missing started, a missing in-progress, and in-progress after bot-llm-stopped', async () => {
    const { spans, diagnostics } = await run(
      userTurn([
        // no started
        inProgress(1100, 'a', 'alpha'),
        stopped(1150, 'a'),
        // no in-progress: the span starts at the announcement
        started(1200, 'beta'),
        stopped(1260, 'b'),
        // in-progress after the inference's bot-llm-stopped (as in the golden fixture)
        started(1300, 'gamma'),
        ...messages([1301, 'bot-llm-stopped']),
        inProgress(1305, 'c'),
        stopped(1400, 'c'),
      ]),
    );
    expect(tools(spans)).toEqual([
      { name: 'alpha', id: 'a', start: 1100, ms: 50, cancelled: false },
      { name: 'beta', id: 'b', start: 1200, ms: 60, cancelled: false },
      { name: 'gamma', id: 'c', start: 1305, ms: 95, cancelled: false },
    ]);
    expect(diagnostics).toEqual([]);
  });

  it('names a call tool_call when the report level hides names', async () => {
    const { spans } = await run(userTurn([started(1100), inProgress(1101, 'x'), stopped(1200, 'x')]));
    expect(tools(spans).map((t) => t.name)).toEqual(['tool_call']);
  });

  it('marks stopped{cancelled:true} as a cancelled tool span', async () => {
    const { spans } = await run(
      userTurn([started(1100, 'slow'), inProgress(1101, 'x'), stopped(1500, 'x', { cancelled: true })]),
    );
    expect(tools(spans)).toEqual([{ name: 'slow', id: 'x', start: 1101, ms: 399, cancelled: true }]);
  });

  it('accepts the deprecated llm-function-call (protocol 1.x) as a tool start', async () => {
    const { spans, diagnostics } = await run(
      userTurn([
        ...messages([
          1100,
          'llm-function-call',
          { function_name: 'legacy', tool_call_id: 'L1', args: { q: 'x' } },
        ]),
        stopped(1180, 'L1'),
      ]),
    );
    const [tool] = byName(spans, 'tool_call');
    expect(tool!.attributes['gen_ai.tool.name']).toBe('legacy');
    expect(durationMs(tool!)).toBe(80);
    expect(String(tool!.attributes['gen_ai.tool.call.arguments'])).toContain('"q"');
    expect(diagnostics).toEqual([]);
  });
});

describe('barge-in counts only while the bot speaks', () => {
  it('ignores bot-interrupted while the bot is silent (every user-turn start sends one)', async () => {
    const { record } = await run([
      ...userTurn(),
      ...messages(
        [4000, 'user-started-speaking'],
        [4002, 'bot-interrupted'],
        [4500, 'user-stopped-speaking'],
      ),
      ...messages([4600, 'bot-interrupted']),
    ]);
    expect(record.interruptions).toBe(0);
    expect(record.turnCount).toBe(2);
  });

  it('counts one barge-in when the user speaks over the bot, and cancels what was in flight', async () => {
    const { record, spans } = await run([
      ...messages(
        [0, 'user-started-speaking'],
        [900, 'user-stopped-speaking'],
        [1000, 'bot-llm-started'],
        [1200, 'bot-tts-started'],
        [1300, 'metrics', metric('ttfb', TTS, 0.1)],
        [1400, 'bot-started-speaking'],
        [2000, 'user-started-speaking'],
        [2002, 'bot-interrupted'],
        [2010, 'metrics', metric('ttfb', LLM, 0.02)], // stale: from the cancelled cycle
        [2040, 'bot-stopped-speaking'],
        [2041, 'bot-llm-stopped'],
        [2042, 'bot-tts-stopped'],
        [2500, 'user-stopped-speaking'],
      ),
    ]);
    expect(record.interruptions).toBe(1);
    expect(record.turns.map((t) => t.interrupted)).toEqual([true, false]);
    const [llm] = byName(spans, 'llm');
    expect(llm!.attributes['component.cancelled']).toBe(true);
    expect(llm!.attributes['llm.ttft_ms']).toBeUndefined();
    const [tts] = byName(spans, 'tts');
    expect(tts!.attributes['component.cancelled']).toBe(true);
    expect(tts!.attributes['tts.ttfb_ms']).toBe(100);
    expect(turns(spans).map((t) => t.attributes['turn.interrupted'])).toEqual([true, false]);
  });

  it('counts a bot-interrupted that arrives before the user-started-speaking once', async () => {
    const { record } = await run(
      messages(
        [0, 'user-started-speaking'],
        [900, 'user-stopped-speaking'],
        [2000, 'bot-started-speaking'],
        [2500, 'bot-interrupted'],
        [2501, 'user-started-speaking'],
        [2600, 'bot-stopped-speaking'],
        [3000, 'user-stopped-speaking'],
      ),
    );
    expect(record.interruptions).toBe(1);
    expect(record.turns.map((t) => t.interrupted)).toEqual([true, false]);
  });
});

describe('errors', () => {
  it('ends the conversation with outcome error on error{fatal:true}, and drops what follows', async () => {
    const ctx = setup();
    replay(
      ctx.bridge,
      [
        ...userTurn(),
        ...messages(
          [3500, 'error', { error: 'OpenAILLMService#0 exception: 401 invalid api key', fatal: true }],
          [3600, 'user-started-speaking'],
        ),
      ],
      'conv',
    );
    await ctx.vt.forceFlush();
    const [conv] = byName(ctx.spans(), 'conversation');
    expect(conv!.attributes['voice.call.outcome']).toBe('error');
    expect(conv!.status.code).toBe(2); // ERROR
    expect(Math.round(conv!.endTime[0] * 1000 + conv!.endTime[1] / 1e6)).toBe(
      Date.parse('2026-08-21T16:51:03.500Z'),
    );
    expect(ctx.bridge.stats()).toMatchObject({ afterEnd: 1, openConversations: 0 });
    expect(ctx.bridge.end('conv')).toBeUndefined();
    const [turn] = turns(ctx.spans());
    expect(turn!.attributes['turn.error_layers']).toEqual(['llm']);
  });

  it('records a non-fatal error on its turn and goes on', async () => {
    const { record } = await run(
      userTurn(
        messages([
          1500,
          'error',
          { error: 'DeepgramSTTService#0 connection lost, reconnecting', fatal: false },
        ]),
      ),
    );
    expect(record.outcome).toBe('completed');
    expect(record.turns[0]!.errors).toEqual([
      expect.objectContaining({
        layer: 'stt',
        recoverable: true,
        message: expect.stringContaining('Deepgram'),
      }),
    ]);
  });
});

describe('protocol 1.x messages', () => {
  it('accepts the v1 bot-output (spoken, no spoken_status) and v2 bot-output alike', async () => {
    const { diagnostics, bridge, record } = await run(
      userTurn(
        messages(
          [2001, 'bot-output', { text: 'Hello there.', aggregated_by: 'sentence', spoken: true }],
          [2002, 'bot-output', { text: 'Hi', aggregated_by: 'word', spoken: false }],
          [
            2003,
            'bot-output',
            {
              text: 'Hello there.',
              aggregated_by: 'sentence',
              segment_id: 4,
              spoken: false,
              will_be_spoken: true,
              spoken_status: 'new',
              spoken_progress: { accumulated_text: '', remaining_text: 'Hello there.' },
            },
          ],
        ),
      ),
    );
    expect(diagnostics).toEqual([]);
    expect(bridge.stats().malformed).toBe(0);
    expect(record.turns[0]!.e2eLatencyMs).toBe(1100);
  });
});

describe('turn latency', () => {
  const vadTurn = messages(
    [0, 'user-started-speaking'],
    [1000, 'vad-user-stopped-speaking'],
    [1150, 'vad-user-started-speaking'], // a pause: the user goes on
    [1600, 'vad-user-stopped-speaking'],
    [1900, 'user-stopped-speaking'], // the turn strategy decides 300 ms after the VAD stop
    [2000, 'bot-llm-started'],
    [2600, 'bot-started-speaking'],
    [3000, 'bot-stopped-speaking'],
  );

  it('runs from user-stopped-speaking to the first bot-started-speaking by default', async () => {
    const { record, spans } = await run(vadTurn);
    expect(record.turns[0]!.e2eLatencyMs).toBe(700);
    expect(turns(spans)[0]!.attributes['pipecat.turn.latency_from']).toBe('user-stopped-speaking');
    // The turn-detection span: from the VAD-corrected end of speech (1600 − 200) to the decision.
    expect(record.turns[0]!.turnDetection).toMatchObject({ startedAt: expect.any(Number), delayMs: 500 });
  });

  it('runs from the last vad-user-stopped-speaking minus the stop delay with the VAD option', async () => {
    const { record, spans } = await run(vadTurn, {
      latencyFrom: 'vad-user-stopped-speaking',
      vadStopDelayMs: 200,
    });
    expect(record.turns[0]!.e2eLatencyMs).toBe(2600 - (1600 - 200));
    expect(turns(spans)[0]!.attributes['pipecat.turn.latency_from']).toBe('vad-user-stopped-speaking');
    const other = await run(vadTurn, { latencyFrom: 'vad-user-stopped-speaking', vadStopDelayMs: 800 });
    expect(other.record.turns[0]!.e2eLatencyMs).toBe(2600 - (1600 - 800));
  });

  it('falls back to user-stopped-speaking in a VAD-mode turn without VAD messages', async () => {
    const { record } = await run(userTurn(), { latencyFrom: 'vad-user-stopped-speaking' });
    expect(record.turns[0]!.e2eLatencyMs).toBe(1100);
  });

  it('rejects invalid options at setup', () => {
    const { vt } = setup();
    expect(() => setup({ vadStopDelayMs: -1 })).toThrow(TypeError);
    expect(() => setup({ latencyFrom: 'vad' as never })).toThrow(TypeError);
    void vt;
  });
});

describe('turn numbering follows TurnTrackingObserver', () => {
  it('keeps one turn while the user resumes speaking before the bot answers', async () => {
    const { record } = await run([
      ...messages(
        [0, 'user-started-speaking'],
        [500, 'user-stopped-speaking'],
        [600, 'user-started-speaking'],
      ),
      ...messages([900, 'user-stopped-speaking'], [1000, 'bot-llm-started'], [1500, 'bot-started-speaking']),
      ...messages(
        [2000, 'bot-stopped-speaking'],
        [4000, 'user-started-speaking'],
        [4500, 'user-stopped-speaking'],
      ),
    ]);
    expect(record.turnCount).toBe(2);
    expect(record.turns[0]!.e2eLatencyMs).toBe(600);
  });

  it('keeps turn 1 when the user talks before the greeting is heard', async () => {
    // Pipecat: turn 1 starts at StartFrame; the bot has not spoken, so the user's speech is turn 1 too.
    const { record, spans } = await run(
      messages(
        [0, 'bot-ready', { version: '2.1.0' }],
        [100, 'bot-llm-started'],
        [300, 'user-started-speaking'],
        [350, 'bot-interrupted'],
        [900, 'user-stopped-speaking'],
        [1000, 'bot-llm-started'],
        [1400, 'bot-started-speaking'],
        [2000, 'bot-stopped-speaking'],
        [4000, 'user-started-speaking'],
        [4400, 'user-stopped-speaking'],
        [4500, 'bot-started-speaking'],
      ),
    );
    expect(record.turnCount).toBe(2);
    expect(record.turns[0]!.e2eLatencyMs).toBe(500);
    expect(byName(spans, 'llm')[0]!.attributes['component.cancelled']).toBe(true);
    expect(record.turns[1]!.e2eLatencyMs).toBe(100);
  });

  it('keeps the turn when TTS audio was made but the bot had not started speaking', async () => {
    const { record } = await run(
      messages(
        [0, 'user-started-speaking'],
        [900, 'user-stopped-speaking'],
        [1000, 'bot-llm-started'],
        [1100, 'bot-tts-started'],
        [1200, 'metrics', metric('ttfb', TTS, 0.1)],
        [1250, 'user-started-speaking'], // before bot-started-speaking: same Pipecat turn
        [1251, 'bot-interrupted'],
        [1900, 'user-stopped-speaking'],
        [2000, 'bot-llm-started'],
        [2500, 'bot-started-speaking'],
      ),
    );
    expect(record.turnCount).toBe(1);
    expect(record.turns[0]!.e2eLatencyMs).toBe(600);
    expect(record.interruptions).toBe(0);
  });
});

describe('several conversations at once', () => {
  it('keeps interleaved conversations apart, keyed by id', async () => {
    const ctx = setup();
    const a = userTurn();
    const b = userTurn(messages([1500, 'bot-llm-stopped'])).map((e) => ({ ...e, at_ms: e.at_ms + 250 }));
    const all = [...a.map((e) => ({ e, id: 'A' })), ...b.map((e) => ({ e, id: 'B' }))].sort(
      (x, y) => x.e.at_ms - y.e.at_ms,
    );
    for (const { e, id } of all) replay(ctx.bridge, [e], id);
    expect(ctx.bridge.stats().openConversations).toBe(2);
    const ra = ctx.bridge.end('A')!;
    const rb = ctx.bridge.end('B')!;
    await ctx.vt.forceFlush();
    expect([ra.id, rb.id]).toEqual(['A', 'B']);
    expect(ra.turns[0]!.e2eLatencyMs).toBe(1100);
    expect(rb.turns[0]!.e2eLatencyMs).toBe(1100);
    const convs = byName(ctx.spans(), 'conversation');
    expect(new Set(convs.map((s) => s.spanContext().traceId)).size).toBe(2);
    expect(ctx.bridge.stats().openConversations).toBe(0);
  });

  it('uses one default conversation for messages without an id, and a new one after it ends', () => {
    const ctx = setup();
    ctx.bridge.ingest({ label: 'rtvi-ai', type: 'user-started-speaking' }, { receivedAt: 1000 });
    const first = ctx.bridge.end()!;
    ctx.bridge.ingest({ label: 'rtvi-ai', type: 'user-started-speaking' }, { receivedAt: 2000 });
    const second = ctx.bridge.end()!;
    expect(first.id).toMatch(/^pipecat-/);
    expect(second.id).toMatch(/^pipecat-/);
    expect(second.id).not.toBe(first.id);
  });
});

describe('types the bridge does not read', () => {
  it('never open a conversation, alone or first, and are counted by type', async () => {
    const ctx = setup();
    const ids: string[] = [];
    ctx.vt.on('conversation', (r) => ids.push(r.id));
    for (const type of ['bot-audio-level', 'server-message', 'rtvi-type-added-later'])
      ctx.bridge.ingest({ label: 'rtvi-ai', type, data: {} }, { conversationId: 'quiet' });
    expect(ctx.bridge.stats()).toMatchObject({ openConversations: 0, ignored: 3 });
    expect(ctx.bridge.end('quiet')).toBeUndefined();
    expect(ctx.vt.stats().conversations).toBe(0);
    // Only the type Pipecat is not known to send is reported.
    expect(ctx.diagnostics.map((d) => d.message)).toEqual([
      expect.stringContaining('"rtvi-type-added-later" is not read by the bridge'),
    ]);
    ctx.bridge.close();
    expect(ids).toEqual([]);
  });
});

describe('user mute, TTS text and search grounding', () => {
  it('user-mute-started/stopped: how often and how long the bot did not listen, on the conversation', async () => {
    const { conversation } = await run([
      ...messages([0, 'bot-started-speaking'], [100, 'user-mute-started']),
      ...messages([2500, 'user-mute-stopped'], [2600, 'bot-stopped-speaking']),
      ...userTurn().map((e) => ({ ...e, at_ms: e.at_ms + 4000 })),
      ...messages([9000, 'user-mute-started'], [9000, 'user-mute-started']), // a repeat is the same mute
    ]);
    // The second mute lasts until the conversation's end (its last message, 9000 ms).
    expect(conversation.attributes).toMatchObject({
      'pipecat.user_mute.count': 2,
      'pipecat.user_mute.duration_ms': 2400,
    });
  });

  it('bot-tts-text: the characters the TTS call produced, also when it was cut short', async () => {
    const { spans } = await run(
      userTurn([
        ...messages([1500, 'bot-tts-started'], [1600, 'bot-tts-text', { text: 'Sunny' }]),
        ...messages([1700, 'bot-tts-text', { text: 'and' }], [2500, 'bot-interrupted']),
        ...messages([2600, 'bot-tts-text', { text: 'late' }]), // after the call was cancelled: no call
      ]),
    );
    expect(attrs(spans, 'tts')).toMatchObject([{ 'pipecat.tts.text_characters': 8 }]);
  });

  it('bot-llm-search-response: grounding on the LLM call in progress, counted on the conversation', async () => {
    const origins = [{ site_uri: 'https://example.org', site_title: 'Example', results: [] }];
    const { spans, conversation } = await run(
      userTurn([
        ...messages([
          1500,
          'bot-llm-search-response',
          { search_result: 'x', rendered_content: '<p/>', origins },
        ]),
        ...messages([1900, 'bot-llm-stopped'], [2900, 'bot-llm-search-response', { origins: [] }]),
      ]),
    );
    expect(attrs(spans, 'llm')).toMatchObject([{ 'pipecat.llm.search.origin_count': 1 }]);
    expect(conversation.attributes['pipecat.llm.search.count']).toBe(2);
    // The search text is caller-derived content: never on a span.
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('<p/>');
  });
});

/**
 * The conversions on their own, with LiveKit-shaped payloads: units (seconds vs ms, epoch seconds vs
 * epoch ms), the start/first-token/end reconstruction from `metrics_collected`, realtime metrics (no
 * realtime fake ships with LiveKit), the EOU fallback, tool outputs, error layers, close outcomes and
 * the TTS de-duplication in both arrival orders.
 */
import type {
  ChatMessage,
  CloseEvent,
  EOUMetrics,
  ErrorEvent,
  FunctionToolsExecutedEvent,
  LLMMetrics,
  RealtimeModelMetrics,
  TTSMetrics,
} from '@livekit/agents';
import { parseVoiceEvent, type VoiceEvent } from '@voxtrace/core';
import { describe, expect, it } from 'vitest';
import { errorEvent, outcomeOf } from '../src/errors.js';
import { agentSpeechEvents, timingFromEou, timingFromMessage, userTurnEndEvents } from '../src/messages.js';
import { llmEvents, realtimeEvents, ttsEvents } from '../src/metrics.js';
import { toolEvents } from '../src/tools.js';
import { TtsDeduper } from '../src/tts-dedupe.js';
import { epochSecondsToMs, secondsToMs } from '../src/units.js';

const T = 1_763_700_000_000;

describe('units', () => {
  it('converts MetricsReport epoch seconds and seconds to ms once', () => {
    expect(epochSecondsToMs((T + 793) / 1000)).toBe(T + 793);
    expect(epochSecondsToMs(0)).toBeUndefined();
    expect(secondsToMs(0.1568934660000001)).toBe(156.893);
    expect(secondsToMs(0.5169999599456787)).toBe(517);
    expect(secondsToMs(-1)).toBeUndefined();
    expect(secondsToMs(undefined)).toBeUndefined();
  });
});

const llmMetrics = (over: Partial<LLMMetrics> = {}): LLMMetrics => ({
  type: 'llm_metrics',
  label: 'openai.LLM',
  requestId: 'chatcmpl_1',
  timestamp: T + 1000,
  durationMs: 400,
  ttftMs: 150,
  cancelled: false,
  completionTokens: 12,
  promptTokens: 300,
  promptCachedTokens: 128,
  totalTokens: 312,
  tokensPerSecond: 30,
  speechId: 'speech_1',
  metadata: { modelProvider: 'openai', modelName: 'gpt-4o-mini' },
  ...over,
});

describe('metrics_collected (ms)', () => {
  it('rebuilds an LLM call from its end time, duration and TTFT', () => {
    expect(llmEvents(llmMetrics())).toEqual([
      {
        type: 'llm.started',
        at: T + 600,
        provider: 'openai',
        model: 'gpt-4o-mini',
        attributes: {
          'livekit.request_id': 'chatcmpl_1',
          'livekit.speech_id': 'speech_1',
          'livekit.label': 'openai.LLM',
          'livekit.llm.prompt_cached_tokens': 128,
          'gen_ai.usage.cache_read.input_tokens': 128,
          'voice.llm.usage.total_tokens': 312,
        },
      },
      { type: 'llm.first_token', at: T + 750 },
      { type: 'llm.ended', at: T + 1000, inputTokens: 300, outputTokens: 12, cancelled: false },
    ]);
  });

  it('leaves out a first token that never came, zero usage and the "unknown" placeholders', () => {
    const events = llmEvents(
      llmMetrics({
        ttftMs: -1,
        cancelled: true,
        completionTokens: 0,
        promptTokens: 0,
        promptCachedTokens: 0,
        totalTokens: 0,
        requestId: '',
        metadata: { modelProvider: 'unknown', modelName: 'unknown' },
      }),
    );
    expect(events.map((e) => e.type)).toEqual(['llm.started', 'llm.ended']);
    expect(events[0]).toEqual({
      type: 'llm.started',
      at: T + 600,
      provider: undefined,
      model: undefined,
      attributes: { 'livekit.speech_id': 'speech_1', 'livekit.label': 'openai.LLM' },
    });
    expect(events[1]).toEqual({ type: 'llm.ended', at: T + 1000, cancelled: true });
  });

  it('reads realtime metrics from the response creation time', () => {
    const m: RealtimeModelMetrics = {
      type: 'realtime_model_metrics',
      label: 'openai.realtime',
      requestId: 'resp_1',
      timestamp: T,
      durationMs: 900,
      ttftMs: 320,
      cancelled: false,
      inputTokens: 500,
      outputTokens: 80,
      totalTokens: 580,
      tokensPerSecond: 88,
      inputTokenDetails: { audioTokens: 400, textTokens: 100, imageTokens: 0, cachedTokens: 0 },
      outputTokenDetails: { audioTokens: 70, textTokens: 10, imageTokens: 0 },
      metadata: { modelProvider: 'openai', modelName: 'gpt-realtime' },
    };
    expect(realtimeEvents(m).map((e) => [e.type, e.at])).toEqual([
      ['llm.started', T],
      ['llm.first_token', T + 320],
      ['llm.ended', T + 900],
    ]);
    expect(realtimeEvents(m)[2]).toMatchObject({ inputTokens: 500, outputTokens: 80 });
    // Audio tokens have no GenAI name: voxtrace's own; no cache hit, no cache attribute.
    expect(realtimeEvents(m)[0]!.attributes).toEqual({
      'livekit.request_id': 'resp_1',
      'livekit.label': 'openai.realtime',
      'voice.llm.usage.total_tokens': 580,
      'voice.llm.usage.audio.input_tokens': 400,
      'voice.llm.usage.audio.output_tokens': 70,
    });
  });

  it('rebuilds a TTS request with its first audio and characters', () => {
    const m: TTSMetrics = {
      type: 'tts_metrics',
      label: 'cartesia.TTS',
      requestId: 'r1',
      timestamp: T + 500,
      ttfbMs: 90,
      durationMs: 300,
      audioDurationMs: 1680,
      cancelled: false,
      charactersCount: 21,
      streamed: true,
      speechId: 'speech_1',
    };
    expect(ttsEvents(m)).toEqual([
      {
        type: 'tts.started',
        at: T + 200,
        provider: undefined,
        model: undefined,
        attributes: {
          'livekit.request_id': 'r1',
          'livekit.speech_id': 'speech_1',
          'livekit.label': 'cartesia.TTS',
          'livekit.tts.streamed': true,
          'livekit.tts.audio_duration_ms': 1680,
        },
      },
      { type: 'tts.first_audio', at: T + 290 },
      { type: 'tts.ended', at: T + 500, characters: 21, cancelled: false },
    ]);
  });
});

describe('TTS de-duplication', () => {
  const tts = (streamed: boolean, chars: number, speechId: string | null = 's1', label = 'fake-tts') =>
    ({
      type: 'tts_metrics',
      label,
      streamed,
      charactersCount: chars,
      speechId: speechId ?? undefined,
    }) as TTSMetrics;

  it('drops the inner ChunkedStream reports when the StreamAdapter reported the segment, in either order', () => {
    const kept: TTSMetrics[] = [];
    const d = new TtsDeduper((m) => kept.push(m));
    d.add(tts(false, 10)); // an inner sentence that finished before the wrapper's segment
    d.add(tts(true, 21));
    d.add(tts(false, 11));
    d.endSpeech('s1');
    expect(kept.map((m) => m.charactersCount)).toEqual([21]);
    expect(d.dropped).toBe(2);
  });

  it('keeps ChunkedStream reports with no wrapper (a custom ttsNode), another TTS, or no speech', () => {
    const kept: TTSMetrics[] = [];
    const d = new TtsDeduper((m) => kept.push(m));
    d.add(tts(false, 7, 's2'));
    d.add(tts(true, 9, 's3', 'other'));
    d.add(tts(false, 9, 's3'));
    d.add(tts(false, 5, null));
    expect(kept.map((m) => m.charactersCount)).toEqual([9, 5]);
    d.flush();
    expect(kept.map((m) => m.charactersCount)).toEqual([9, 5, 7, 9]);
    expect(d.dropped).toBe(0);
  });
});

describe('messages and EOU metrics', () => {
  const message = (role: 'user' | 'assistant', metrics: ChatMessage['metrics'], interrupted = false) =>
    ({ id: 'item_1', role, metrics, interrupted, createdAt: T }) as unknown as ChatMessage;

  it('times the end of user speech and the end-of-turn decision from the user message', () => {
    const timing = timingFromMessage(
      message('user', {
        stoppedSpeakingAt: (T + 793) / 1000,
        transcriptionDelay: 0.171,
        endOfTurnDelay: 0.301,
        onUserTurnCompletedDelay: 0.001,
      }),
      'speech_1',
    )!;
    expect(userTurnEndEvents(timing, { 'livekit.eot.probability': 0.9 })).toEqual([
      { type: 'user.speech.ended', at: T + 793, attributes: { 'livekit.speech_id': 'speech_1' } },
      {
        type: 'turn.end_detected',
        at: T + 1094,
        delayMs: 301,
        attributes: {
          'livekit.eot.probability': 0.9,
          'livekit.end_of_turn_delay_ms': 301,
          'livekit.transcription_delay_ms': 171,
          'livekit.on_user_turn_completed_delay_ms': 1,
        },
      },
    ]);
    expect(timingFromMessage(message('user', {}))).toBeUndefined();
  });

  it('falls back to eou_metrics, whose lastSpeakingTimeMs is a timestamp and whose zeros mean unknown', () => {
    const eou: EOUMetrics = {
      type: 'eou_metrics',
      timestamp: T + 1100,
      endOfUtteranceDelayMs: 301,
      transcriptionDelayMs: 0,
      onUserTurnCompletedDelayMs: 2,
      lastSpeakingTimeMs: T + 793,
      speechId: 'speech_1',
    };
    expect(timingFromEou(eou)).toEqual({
      stoppedAt: T + 793,
      endOfTurnDelayMs: 301,
      transcriptionDelayMs: undefined,
      onUserTurnCompletedDelayMs: 2,
      speechId: 'speech_1',
    });
    expect(timingFromEou({ ...eou, lastSpeakingTimeMs: 0 })).toBeUndefined();
  });

  it("times the agent's speech from the assistant message and carries LiveKit's figures", () => {
    const speech = agentSpeechEvents(
      message(
        'assistant',
        {
          startedSpeakingAt: (T + 1310) / 1000,
          stoppedSpeakingAt: (T + 1691) / 1000,
          e2eLatency: 0.5169999599456787,
          llmNodeTtft: 0.1568934660000001,
          ttsNodeTtfb: 0.08136349599999981,
          playbackLatency: 0,
        },
        true,
      ),
      { id: 'speech_1', source: 'generate_reply' },
    )!;
    expect(speech.started).toEqual({ type: 'agent.speech.started', at: T + 1310 });
    expect(speech.ended).toEqual({
      type: 'agent.speech.ended',
      at: T + 1691,
      interrupted: true,
      attributes: {
        'livekit.speech_id': 'speech_1',
        'livekit.speech_source': 'generate_reply',
        'livekit.e2e_latency_ms': 517,
        'livekit.llm_node_ttft_ms': 156.893,
        'livekit.tts_node_ttfb_ms': 81.363,
        'livekit.playback_latency_ms': 0,
      },
    });
    expect(agentSpeechEvents(message('assistant', {}))).toBeUndefined();
  });
});

describe('tools, errors and outcomes', () => {
  it('turns each call and its output into a timed pair; a failed tool carries its error, a lost one is cancelled', () => {
    const ev = {
      type: 'function_tools_executed',
      createdAt: T + 900,
      functionCalls: [
        { callId: 'c1', name: 'lookup', args: '{"id":7}', createdAt: T },
        { callId: 'c2', name: 'book', args: 'not json', createdAt: T + 10 },
        { callId: 'c3', name: 'slow', args: '{}', createdAt: T + 20 },
      ],
      functionCallOutputs: [
        { callId: 'c1', name: 'lookup', output: '{"ok":true}', isError: false, createdAt: T + 125 },
        { callId: 'c2', name: 'book', output: 'slot taken', isError: true, createdAt: T + 60 },
      ],
    } as unknown as FunctionToolsExecutedEvent;
    expect(toolEvents(ev)).toEqual([
      { type: 'tool.started', at: T, name: 'lookup', callId: 'c1', arguments: { id: 7 } },
      { type: 'tool.ended', at: T + 125, name: 'lookup', callId: 'c1', result: { ok: true } },
      { type: 'tool.started', at: T + 10, name: 'book', callId: 'c2', arguments: 'not json' },
      {
        type: 'tool.ended',
        at: T + 60,
        name: 'book',
        callId: 'c2',
        result: 'slot taken',
        error: 'slot taken',
      },
      { type: 'tool.started', at: T + 20, name: 'slow', callId: 'c3', arguments: {} },
      { type: 'tool.ended', at: T + 900, name: 'slow', callId: 'c3', cancelled: true },
    ]);
  });

  it('maps each error type to its layer, keeping recoverable', () => {
    const component = (type: string, recoverable: boolean) =>
      ({
        type: 'error',
        createdAt: T + 5,
        error: { type, label: 'x.Model', error: new Error('boom'), recoverable, timestamp: T },
      }) as unknown as ErrorEvent;
    expect(errorEvent(component('llm_error', false))).toEqual({
      type: 'error',
      at: T,
      layer: 'llm',
      message: 'x.Model: boom',
      recoverable: false,
      attributes: { 'livekit.error.type': 'llm_error', 'livekit.error.label': 'x.Model' },
    });
    expect(errorEvent(component('stt_error', true))).toMatchObject({ layer: 'stt', recoverable: true });
    expect(errorEvent(component('tts_error', true))).toMatchObject({ layer: 'tts' });
    expect(errorEvent(component('realtime_model_error', true))).toMatchObject({ layer: 'llm' });
    // InterruptionDetectionError is an Error subclass, not a wrapper.
    const interruption = Object.assign(new Error('detector down'), {
      type: 'interruption_detection_error',
      label: 'adaptive',
      recoverable: true,
      timestamp: T,
    });
    expect(
      errorEvent({ type: 'error', createdAt: T, error: interruption } as unknown as ErrorEvent),
    ).toMatchObject({
      layer: 'dialog',
      message: 'adaptive: detector down',
    });
  });

  it('maps the close reason to the outcome', () => {
    const close = (reason: string, error: unknown = null) =>
      ({ type: 'close', reason, error, createdAt: T }) as CloseEvent;
    expect(outcomeOf(close('error'), 3)).toBe('error');
    expect(outcomeOf(close('user_initiated', { type: 'tts_error' }), 3)).toBe('error');
    expect(outcomeOf(close('job_shutdown'), 0)).toBe('completed');
    expect(outcomeOf(close('user_initiated'), 2)).toBe('completed');
    expect(outcomeOf(close('participant_disconnected'), 1)).toBe('completed');
    expect(outcomeOf(close('participant_disconnected'), 0)).toBe('abandoned');
    expect(outcomeOf(close('user_initiated'), 0)).toBe('abandoned');
    expect(outcomeOf(close('some_custom_reason'), 0)).toBe('abandoned');
  });
});

describe('validity', () => {
  const invalid = (events: VoiceEvent[]) =>
    events.map(parseVoiceEvent).flatMap((r) => (r.ok ? [] : [r.error]));

  it('produces events the core schema accepts, even from odd payloads', () => {
    const longId = 'x'.repeat(300);
    const tools = {
      type: 'function_tools_executed',
      createdAt: T,
      functionCalls: [{ callId: longId, name: longId, args: '{}', createdAt: T }],
      functionCallOutputs: [{ callId: longId, name: longId, output: '', isError: true, createdAt: T + 1 }],
    } as unknown as FunctionToolsExecutedEvent;
    const events = [
      ...llmEvents(llmMetrics({ promptTokens: 10.6, completionTokens: 2.2, totalTokens: 12.8 })),
      ...llmEvents(llmMetrics({ metadata: { modelProvider: 'p'.repeat(300), modelName: 'gpt' } })),
      ...toolEvents(tools),
      ...ttsEvents({
        type: 'tts_metrics',
        label: 't',
        requestId: '',
        timestamp: T,
        ttfbMs: -1,
        durationMs: 0,
        audioDurationMs: 0,
        cancelled: true,
        charactersCount: 3.5,
        streamed: true,
      }),
    ];
    expect(invalid(events)).toEqual([]);
    expect(events.find((e) => e.type === 'llm.ended')).toMatchObject({ inputTokens: 11, outputTokens: 2 });
    expect(events.find((e) => e.type === 'tool.ended')).toMatchObject({ error: true });
  });
});

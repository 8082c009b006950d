/**
 * `metrics_collected` payloads (ms, epoch ms) → component events. Each payload is reported once,
 * when the component finishes, with its end time (`timestamp`) and duration: the start is
 * `timestamp − durationMs`, the first token/audio `start + ttft/ttfb`.
 */
import { ATTR, type VoiceEvent } from '@voxtrace/core';
import { count, defined, LK, named } from './attributes.js';
import type { LLMMetrics, RealtimeModelMetrics, TTSMetrics } from './livekit.js';
import { known } from './units.js';

/** Token counts, or `undefined` when the provider reported none (LiveKit then reports zeros). */
function tokens(
  input: number,
  output: number,
  total: number,
): { inputTokens?: number; outputTokens?: number } {
  return total > 0 || input > 0 || output > 0
    ? { inputTokens: count(input), outputTokens: count(output) }
    : {};
}

/** A token count LiveKit reported, `undefined` for none (it reports zeros when the provider gave none). */
function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? count(value) : undefined;
}

/** `llm_metrics` → `llm.started`, `llm.first_token` (when a token came), `llm.ended`. */
export function llmEvents(m: LLMMetrics): VoiceEvent[] {
  const endedAt = m.timestamp;
  const startedAt = endedAt - (known(m.durationMs) ?? 0);
  const provider = { provider: named(m.metadata?.modelProvider), model: named(m.metadata?.modelName) };
  const attributes = defined({
    [LK.requestId]: m.requestId,
    [LK.speechId]: m.speechId,
    [LK.label]: m.label,
    // Deprecated: the same figure as `gen_ai.usage.cache_read.input_tokens`; kept until the next minor.
    [LK.llmCachedTokens]: positive(m.promptCachedTokens),
    [ATTR.genAiCacheReadInputTokens]: positive(m.promptCachedTokens),
    [ATTR.genAiCacheCreationInputTokens]: positive(m.cacheCreationTokens),
    [ATTR.llmTotalTokens]: positive(m.totalTokens),
  });
  const ttft = known(m.ttftMs);
  return [
    { type: 'llm.started', at: startedAt, ...provider, attributes },
    ...(ttft === undefined ? [] : [{ type: 'llm.first_token' as const, at: startedAt + ttft }]),
    {
      type: 'llm.ended',
      at: endedAt,
      ...tokens(m.promptTokens, m.completionTokens, m.totalTokens),
      cancelled: m.cancelled,
    },
  ];
}

/**
 * `realtime_model_metrics` → the same `llm.*` events. Here `timestamp` is the response's creation
 * (LiveKit's documented meaning), so the end is `timestamp + durationMs`. No speech id: routed by time.
 */
export function realtimeEvents(m: RealtimeModelMetrics): VoiceEvent[] {
  const startedAt = m.timestamp;
  const provider = { provider: named(m.metadata?.modelProvider), model: named(m.metadata?.modelName) };
  const ttft = known(m.ttftMs);
  return [
    {
      type: 'llm.started',
      at: startedAt,
      ...provider,
      attributes: defined({
        [LK.requestId]: m.requestId,
        [LK.label]: m.label,
        [ATTR.genAiCacheReadInputTokens]: positive(m.inputTokenDetails?.cachedTokens),
        [ATTR.llmTotalTokens]: positive(m.totalTokens),
        [ATTR.llmAudioInputTokens]: positive(m.inputTokenDetails?.audioTokens),
        [ATTR.llmAudioOutputTokens]: positive(m.outputTokenDetails?.audioTokens),
        [ATTR.llmAudioCacheReadInputTokens]: positive(m.inputTokenDetails?.cachedTokensDetails?.audioTokens),
      }),
    },
    ...(ttft === undefined ? [] : [{ type: 'llm.first_token' as const, at: startedAt + ttft }]),
    {
      type: 'llm.ended',
      at: startedAt + (known(m.durationMs) ?? 0),
      ...tokens(m.inputTokens, m.outputTokens, m.totalTokens),
      cancelled: m.cancelled,
    },
  ];
}

/** `tts_metrics` → `tts.started`, `tts.first_audio` (when audio came), `tts.ended` with characters. */
export function ttsEvents(m: TTSMetrics): VoiceEvent[] {
  const endedAt = m.timestamp;
  const startedAt = endedAt - (known(m.durationMs) ?? 0);
  const provider = { provider: named(m.metadata?.modelProvider), model: named(m.metadata?.modelName) };
  const ttfb = known(m.ttfbMs);
  return [
    {
      type: 'tts.started',
      at: startedAt,
      ...provider,
      attributes: defined({
        [LK.requestId]: m.requestId,
        [LK.speechId]: m.speechId,
        [LK.label]: m.label,
        [LK.ttsStreamed]: m.streamed,
        [LK.ttsAudioDurationMs]: known(m.audioDurationMs),
      }),
    },
    ...(ttfb === undefined ? [] : [{ type: 'tts.first_audio' as const, at: startedAt + ttfb }]),
    { type: 'tts.ended', at: endedAt, characters: count(m.charactersCount), cancelled: m.cancelled },
  ];
}

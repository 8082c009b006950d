/**
 * Conversation totals from LiveKit's usage reports: `session_usage_updated` (the session's usage so
 * far, per model: each report replaces the last) and `interruption_metrics` (one per overlap the
 * adaptive interruption detector judged: they add up).
 */
import { LK } from './attributes.js';
import type { InterruptionMetrics, SessionUsageUpdatedEvent } from './livekit.js';
import { known } from './units.js';

/** Models read from one usage report at most (LiveKit lists one per provider and model). */
const MAX_MODELS = 64;

/** Usage attributes of a `session_usage_updated` event: each figure summed over the models reporting it. */
export function sessionUsageAttributes(ev: SessionUsageUpdatedEvent): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (key: string, value: number | undefined) => {
    const v = known(value);
    if (v !== undefined && v > 0) out[key] = (out[key] ?? 0) + v;
  };
  for (const u of (ev.usage?.modelUsage ?? []).slice(0, MAX_MODELS)) {
    if (u.type === 'llm_usage') {
      add(LK.usageLlmInputTokens, u.inputTokens);
      add(LK.usageLlmInputCachedTokens, u.inputCachedTokens);
      add(LK.usageLlmInputAudioTokens, u.inputAudioTokens);
      add(LK.usageLlmOutputTokens, u.outputTokens);
      add(LK.usageLlmOutputAudioTokens, u.outputAudioTokens);
      add(LK.usageLlmSessionDurationMs, u.sessionDurationMs);
    } else if (u.type === 'tts_usage') {
      add(LK.usageTtsCharacters, u.charactersCount);
      add(LK.usageTtsAudioDurationMs, u.audioDurationMs);
    } else if (u.type === 'stt_usage') {
      add(LK.usageSttAudioDurationMs, u.audioDurationMs);
    } else if (u.type === 'interruption_usage') {
      add(LK.usageInterruptionRequests, u.totalRequests);
    } else if (u.type === 'eot_usage') {
      add(LK.usageEotRequests, u.totalRequests);
    }
  }
  return out;
}

/** Running totals of `interruption_metrics`. */
export class InterruptionTotals {
  private detected = 0;
  private backchannels = 0;
  private requests = 0;
  private maxDelayMs: number | undefined;

  /** Adds one report; returns the totals as conversation attributes. */
  add(m: InterruptionMetrics): Record<string, number> {
    this.detected += known(m.numInterruptions) ?? 0;
    this.backchannels += known(m.numBackchannels) ?? 0;
    this.requests += known(m.numRequests) ?? 0;
    const delay = known(m.detectionDelay);
    if (delay !== undefined) this.maxDelayMs = Math.max(this.maxDelayMs ?? 0, delay);
    return {
      [LK.interruptionDetected]: this.detected,
      [LK.interruptionBackchannels]: this.backchannels,
      [LK.interruptionRequests]: this.requests,
      ...(this.maxDelayMs === undefined ? {} : { [LK.interruptionDetectionDelayMaxMs]: this.maxDelayMs }),
    };
  }
}

/**
 * The per-turn figures LiveKit computes itself, converted once to ms: `ChatMessage.metrics`
 * (seconds, epoch seconds) on `conversation_item_added`, and `eou_metrics` (ms) as the fallback when
 * no user message carries them (realtime models). Taking the speech ends and starts from here is
 * what makes voxtrace's turn latency (`agent.speech.started − user.speech.ended`) equal LiveKit's
 * `e2eLatency` (agent started speaking − user stopped speaking).
 */
import type { EventAttributes, VoiceEvent, VoiceEventOf } from '@voxtrace/core';
import { defined, LK } from './attributes.js';
import type { ChatMessage, EOUMetrics } from './livekit.js';
import { epochSecondsToMs, known, secondsToMs } from './units.js';

/** The speech (LiveKit `SpeechHandle`) a reply belongs to. */
export interface SpeechInfo {
  id: string;
  /** `say`, `generate_reply` or `tool_response`. */
  source: string;
}

/** When the user stopped speaking and how the end of the turn was decided, in ms. */
export interface UserTurnTiming {
  /** Epoch ms: end of user speech as LiveKit's VAD/STT timed it. */
  stoppedAt: number;
  endOfTurnDelayMs?: number;
  transcriptionDelayMs?: number;
  onUserTurnCompletedDelayMs?: number;
  speechId?: string;
}

/** From a user `ChatMessage.metrics`; `undefined` for typed input (no speech timing). */
export function timingFromMessage(message: ChatMessage, speechId?: string): UserTurnTiming | undefined {
  const m = message.metrics;
  const stoppedAt = epochSecondsToMs(m.stoppedSpeakingAt);
  if (stoppedAt === undefined) return undefined;
  return {
    stoppedAt,
    endOfTurnDelayMs: secondsToMs(m.endOfTurnDelay),
    transcriptionDelayMs: secondsToMs(m.transcriptionDelay),
    onUserTurnCompletedDelayMs: secondsToMs(m.onUserTurnCompletedDelay),
    speechId,
  };
}

/** From `eou_metrics` (already ms; `lastSpeakingTimeMs` is an epoch-ms timestamp, 0 when unknown). */
export function timingFromEou(m: EOUMetrics): UserTurnTiming | undefined {
  const stoppedAt = known(m.lastSpeakingTimeMs);
  if (!stoppedAt) return undefined;
  return {
    stoppedAt,
    // LiveKit reports 0 when VAD timing was unreliable.
    endOfTurnDelayMs: m.endOfUtteranceDelayMs || undefined,
    transcriptionDelayMs: m.transcriptionDelayMs || undefined,
    onUserTurnCompletedDelayMs: known(m.onUserTurnCompletedDelayMs),
    speechId: m.speechId,
  };
}

/** `user.speech.ended` and, when its delay is known, `turn.end_detected`. */
export function userTurnEndEvents(t: UserTurnTiming, detection: EventAttributes = {}): VoiceEvent[] {
  const ids = defined({ [LK.speechId]: t.speechId });
  const events: VoiceEvent[] = [{ type: 'user.speech.ended', at: t.stoppedAt, attributes: ids }];
  if (t.endOfTurnDelayMs !== undefined) {
    events.push({
      type: 'turn.end_detected',
      at: t.stoppedAt + t.endOfTurnDelayMs,
      delayMs: t.endOfTurnDelayMs,
      attributes: {
        ...detection,
        ...defined({
          [LK.endOfTurnDelayMs]: t.endOfTurnDelayMs,
          [LK.transcriptionDelayMs]: t.transcriptionDelayMs,
          [LK.onUserTurnCompletedDelayMs]: t.onUserTurnCompletedDelayMs,
        }),
      },
    });
  }
  return events;
}

/** The exact agent speech of an assistant message; LiveKit's figures ride on the end. */
export interface AgentSpeech {
  started: VoiceEventOf<'agent.speech.started'>;
  ended: VoiceEventOf<'agent.speech.ended'>;
}

/**
 * An assistant `ChatMessage` → `agent.speech.started` at LiveKit's `startedSpeakingAt` (first audio
 * frame played, or first text without audio) and `agent.speech.ended` at `stoppedSpeakingAt`, which
 * carries LiveKit's own figures as turn attributes (the start often repeats the live state change to
 * the millisecond, and a repeated event is dropped). `undefined` when the reply never started.
 */
export function agentSpeechEvents(message: ChatMessage, speech?: SpeechInfo): AgentSpeech | undefined {
  const m = message.metrics;
  const startedAt = epochSecondsToMs(m.startedSpeakingAt);
  if (startedAt === undefined) return undefined;
  const stoppedAt = epochSecondsToMs(m.stoppedSpeakingAt) ?? startedAt;
  return {
    started: { type: 'agent.speech.started', at: startedAt },
    ended: {
      type: 'agent.speech.ended',
      at: Math.max(startedAt, stoppedAt),
      interrupted: message.interrupted,
      attributes: defined({
        [LK.speechId]: speech?.id,
        [LK.speechSource]: speech?.source,
        [LK.e2eLatencyMs]: secondsToMs(m.e2eLatency),
        [LK.llmNodeTtftMs]: secondsToMs(m.llmNodeTtft),
        [LK.ttsNodeTtfbMs]: secondsToMs(m.ttsNodeTtfb),
        [LK.playbackLatencyMs]: secondsToMs(m.playbackLatency),
      }),
    },
  };
}

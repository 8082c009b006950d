/**
 * Failures and endings: LiveKit `error` events → `error` voice events with their pipeline layer,
 * `user_transcription_timeout` → an STT error, and the close reason → the call's outcome.
 */
import type { ErrorLayer, Outcome, VoiceEvent } from '@voxtrace/core';
import { defined, LK } from './attributes.js';
import type { CloseEvent, ErrorEvent, UserTranscriptionTimeoutEvent } from './livekit.js';

/** Longest error message kept (the event schema allows 10 000). */
const MAX_MESSAGE_CHARS = 2000;

const LAYER: Record<string, ErrorLayer> = {
  llm_error: 'llm',
  realtime_model_error: 'llm',
  stt_error: 'stt',
  tts_error: 'tts',
  // Adaptive interruption detection decides turn-taking.
  interruption_detection_error: 'dialog',
};

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : String(error);
}

/** An `error` session event → an `error` voice event (`recoverable` as LiveKit says). */
export function errorEvent(ev: ErrorEvent): VoiceEvent {
  const e = ev.error;
  // The four component errors wrap the cause in `.error`; InterruptionDetectionError is the Error itself.
  const cause = 'error' in e ? e.error : e;
  const label = e.label ? `${e.label}: ` : '';
  return {
    type: 'error',
    at: e.timestamp || ev.createdAt,
    layer: LAYER[e.type] ?? 'dialog',
    message: `${label}${messageOf(cause)}`.slice(0, MAX_MESSAGE_CHARS),
    recoverable: e.recoverable,
    attributes: defined({ [LK.errorType]: e.type, [LK.errorLabel]: e.label }),
  };
}

/** Speech the STT never transcribed: the caller spoke and nobody heard. Recoverable. */
export function transcriptionTimeoutEvent(ev: UserTranscriptionTimeoutEvent): VoiceEvent {
  return {
    type: 'error',
    at: ev.createdAt,
    layer: 'stt',
    message: `no transcript for ${Math.round(ev.speechDuration)} ms of user speech`,
    recoverable: true,
    attributes: { [LK.errorType]: 'user_transcription_timeout' },
  };
}

/**
 * How the call ended, from LiveKit's close reason: `error` (or a close carrying an error) → `error`;
 * `job_shutdown` → `completed`; `user_initiated`, `participant_disconnected` and any other reason →
 * `completed` when the agent answered at least one user turn, else `abandoned` (the caller left, or
 * the session closed, before being served).
 */
export function outcomeOf(close: CloseEvent, answeredUserTurns: number): Outcome {
  if (close.reason === 'error' || close.error) return 'error';
  if (close.reason === 'job_shutdown') return 'completed';
  return answeredUserTurns > 0 ? 'completed' : 'abandoned';
}

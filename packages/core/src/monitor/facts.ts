/**
 * What a record counts as, shared by the monitor and the Prometheus metrics so that the
 * in-process verdict and a fleet's Prometheus rules over `agent_requests_total` and
 * `stt_transcription_*_total` count the same things.
 */
import type { ConversationRecord, TurnRecord } from '../records.js';

/** A turn is an `error` request (`agent_requests_total{status="error"}`) when any error was recorded in it. */
export function turnFailed(t: TurnRecord): boolean {
  return t.errors.length > 0;
}

/** A turn is a transcription request when the user spoke in it or STT produced something. */
export function isSttRequest(t: TurnRecord): boolean {
  return t.userSpeechStartedAt !== null || t.userSpeechEndedAt !== null || t.stt !== null || hasSttError(t);
}

/** The turn recorded an STT-layer error. */
export function hasSttError(t: TurnRecord): boolean {
  for (let i = 0; i < t.errors.length; i++) if (t.errors[i]!.layer === 'stt') return true;
  return false;
}

/** STT produced a non-empty final transcript in the turn. */
export function hasTranscript(t: TurnRecord): boolean {
  return t.stt !== null && t.stt.finals > 0 && t.stt.transcript.trim() !== '';
}

/**
 * The turn's network/transport part (`breakdown.other`), only when every instant of its wait was
 * measured: a turn with an unreported stage has an unknown network part, not a small one, so it
 * neither feeds nor dilutes the network figure (docs/concepts.md, "Breakdown").
 */
export function networkMs(t: TurnRecord): number | null {
  const b = t.breakdown;
  return b !== null && b.unmeasured === 0 ? b.other : null;
}

/**
 * A call failed to connect: it ended with no turn at all, either with outcome `error` or with a
 * telephony error. Unanswered and voicemail calls are not connection attempts of ours.
 */
export function failedToConnect(r: ConversationRecord): boolean {
  if (r.turnCount > 0) return false;
  return r.outcome === 'error' || r.errors.some((e) => e.layer === 'telephony');
}

/** The call counts as a connection attempt (not an unanswered or voicemail outbound call). */
export function isConnectAttempt(r: ConversationRecord): boolean {
  return r.outcome !== 'unanswered' && r.outcome !== 'voicemail';
}

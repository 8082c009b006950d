/**
 * `call.disconnection_reason` → the call's outcome and, for failures, the layer that failed.
 * Every value retell-sdk 5.66 documents is listed; the README has the same table (a test keeps them equal).
 */
import type { ErrorLayer, Outcome } from '@voxtrace/core';

/** What a disconnection reason means for voxtrace. */
export interface DisconnectionMapping {
  outcome: Outcome;
  /** The layer that failed, or `null` when the call did not end on a failure. */
  errorLayer: ErrorLayer | null;
}

const ok = (outcome: Outcome): DisconnectionMapping => ({ outcome, errorLayer: null });
const failed = (errorLayer: ErrorLayer): DisconnectionMapping => ({ outcome: 'error', errorLayer });

/** The table of documented values. */
export const DISCONNECTION_REASONS = {
  // Normal ends.
  user_hangup: ok('completed'),
  agent_hangup: ok('completed'),
  manual_stopped: ok('completed'),
  // Escalations.
  call_transfer: ok('transferred'),
  transfer_bridged: ok('transferred'),
  call_take_over: ok('transferred'),
  // The transfer did not happen and the call ended.
  transfer_cancelled: ok('abandoned'),
  // Cut off: silence until Retell's idle end, or the agent's maximum duration.
  inactivity: ok('abandoned'),
  max_duration_reached: ok('abandoned'),
  // Outbound calls nobody answered in person.
  voicemail_reached: ok('voicemail'),
  ivr_reached: ok('unanswered'),
  dial_busy: ok('unanswered'),
  dial_no_answer: ok('unanswered'),
  user_declined: ok('unanswered'),
  // The call could not be placed or carried.
  dial_failed: failed('telephony'),
  invalid_destination: failed('telephony'),
  telephony_provider_permission_denied: failed('telephony'),
  telephony_provider_unavailable: failed('telephony'),
  sip_routing_error: failed('telephony'),
  marked_as_spam: failed('telephony'),
  scam_detected: failed('telephony'),
  concurrency_limit_reached: failed('telephony'),
  no_concurrency_fallback: failed('telephony'),
  no_valid_payment: failed('telephony'),
  registered_call_timeout: failed('telephony'),
  error_user_not_joined: failed('telephony'),
  error_no_audio_received: failed('telephony'),
  // The custom LLM's WebSocket failed.
  error_llm_websocket_open: failed('llm'),
  error_llm_websocket_lost_connection: failed('llm'),
  error_llm_websocket_runtime: failed('llm'),
  error_llm_websocket_corrupt_payload: failed('llm'),
  // Speech recognition failed.
  error_asr: failed('stt'),
  // Retell itself failed (its orchestration is the dialog layer).
  error_retell: failed('dialog'),
  error_unknown: failed('dialog'),
} as const satisfies Record<string, DisconnectionMapping>;

/** A documented disconnection reason. */
export type RetellDisconnectionReason = keyof typeof DISCONNECTION_REASONS;

/**
 * Maps a disconnection reason. Values Retell adds later map by prefix: `error_*` → error in the
 * dialog layer, `dial_*` → unanswered, anything else → completed. Missing → `null` (core decides).
 */
export function mapDisconnectionReason(reason: string | null | undefined): DisconnectionMapping | null {
  if (!reason) return null;
  if (Object.hasOwn(DISCONNECTION_REASONS, reason)) {
    return DISCONNECTION_REASONS[reason as RetellDisconnectionReason];
  }
  if (reason.startsWith('error')) return failed('dialog');
  if (reason.startsWith('dial_')) return ok('unanswered');
  return ok('completed');
}

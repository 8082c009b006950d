import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRetellWebhookHandler, DISCONNECTION_REASONS, mapDisconnectionReason } from '@voxtrace/retell';
import { describe, expect, it } from 'vitest';
import { API_KEY, fixture, repoRoot, retellRequest, testVoxtrace } from './helpers.js';

// The 34 values retell-sdk 5.66.1 documents (research notes §4), typed out here rather than read from the code.
const DOCUMENTED =
  `user_hangup, agent_hangup, call_transfer, voicemail_reached, ivr_reached, inactivity, max_duration_reached,
concurrency_limit_reached, no_concurrency_fallback, no_valid_payment, scam_detected, dial_busy, dial_failed, dial_no_answer, invalid_destination,
telephony_provider_permission_denied, telephony_provider_unavailable, sip_routing_error, marked_as_spam, user_declined, error_llm_websocket_open,
error_llm_websocket_lost_connection, error_llm_websocket_runtime, error_llm_websocket_corrupt_payload, error_no_audio_received, error_asr,
error_retell, error_unknown, error_user_not_joined, registered_call_timeout, transfer_bridged, transfer_cancelled, manual_stopped, call_take_over`
    .split(',')
    .map((s) => s.trim());

function readmeTable(): Map<string, { outcome: string; layer: string | null }> {
  const readme = readFileSync(path.join(repoRoot, 'packages/retell/README.md'), 'utf8');
  const rows = new Map<string, { outcome: string; layer: string | null }>();
  for (const m of readme.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\w+)\s*\|\s*(\S+)\s*\|$/gm)) {
    rows.set(m[1]!, { outcome: m[2]!, layer: m[3] === '—' ? null : m[3]! });
  }
  return rows;
}

describe('disconnection_reason', () => {
  it('the list has all 34 documented values', () => {
    expect(new Set(DOCUMENTED).size).toBe(34);
  });

  it.each(DOCUMENTED)('%s maps to an outcome, and the README table says the same', (reason) => {
    expect(Object.keys(DISCONNECTION_REASONS)).toContain(reason);
    const mapped = mapDisconnectionReason(reason)!;
    expect(readmeTable().get(reason)).toEqual({ outcome: mapped.outcome, layer: mapped.errorLayer });
    // Failures name a layer; other ends do not.
    expect(mapped.errorLayer === null).toBe(mapped.outcome !== 'error');
  });

  it('the table has nothing undocumented, and the README table nothing more', () => {
    expect(Object.keys(DISCONNECTION_REASONS).sort()).toEqual([...DOCUMENTED].sort());
    expect([...readmeTable().keys()].sort()).toEqual([...DOCUMENTED].sort());
  });

  it('maps values Retell may add later by prefix, and nothing for a missing reason', () => {
    expect(mapDisconnectionReason('error_new_thing')).toEqual({ outcome: 'error', errorLayer: 'dialog' });
    expect(mapDisconnectionReason('dial_something')).toEqual({ outcome: 'unanswered', errorLayer: null });
    expect(mapDisconnectionReason('something_else')).toEqual({ outcome: 'completed', errorLayer: null });
    expect(mapDisconnectionReason(undefined)).toBeNull();
    expect(mapDisconnectionReason('toString')).toEqual({ outcome: 'completed', errorLayer: null });
  });

  it.each(DOCUMENTED)('%s through the handler: outcome on the conversation span', async (reason) => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
    const { call } = fixture<{ call: Record<string, unknown> }>('retell-call_analyzed.json');
    const body = {
      event: 'call_analyzed',
      call: { ...call, disconnection_reason: reason, call_analysis: { call_successful: false } },
    };
    expect((await handler(retellRequest('http://127.0.0.1/retell', body))).status).toBe(204);
    const conv = t.named('conversation')[0]!;
    const mapped = DISCONNECTION_REASONS[reason as keyof typeof DISCONNECTION_REASONS];
    expect(conv.attributes['voice.call.outcome']).toBe(mapped.outcome);
    expect(conv.attributes['retell.disconnection_reason']).toBe(reason);
    const layers = t
      .named('turn')
      .flatMap((s) => (s.attributes['turn.error_layers'] as string[] | undefined) ?? []);
    expect(layers).toEqual(mapped.errorLayer ? [mapped.errorLayer] : []);
  });
});

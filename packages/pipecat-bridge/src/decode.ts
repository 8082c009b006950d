/**
 * Turns whatever `ingest` receives (an RTVI object, its JSON text, a Pipecat protobuf websocket
 * frame, or a forwarder envelope) into one RTVI message, or says why not. Never throws.
 */
import { decodePipecatFrame } from './protobuf.js';
import { type Envelope, envelopeSchema, RTVI_LABEL, type RtviMessage, rtviMessageSchema } from './schema.js';

/** The outcome of {@link decodeInput}. */
export type Decoded =
  | { kind: 'rtvi'; message: RtviMessage }
  | { kind: 'envelope'; envelope: Envelope }
  /** Not for the bridge: another label, or a protobuf frame that is not a message (audio…). */
  | { kind: 'ignored'; reason: string }
  | { kind: 'malformed'; error: string };

/** Decodes an `ingest` input; envelopes are recognised at the top level only. */
export function decodeInput(input: unknown): Decoded {
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) {
    const frame = decodePipecatFrame(input instanceof Uint8Array ? input : new Uint8Array(input));
    if (frame.kind === 'invalid') return { kind: 'malformed', error: `protobuf frame: ${frame.error}` };
    if (frame.kind === 'other') return { kind: 'ignored', reason: `protobuf frame field ${frame.field}` };
    return decodeMessage(frame.data);
  }
  const value = typeof input === 'string' ? parseJson(input) : { ok: true as const, value: input };
  if (!value.ok) return { kind: 'malformed', error: value.error };
  if (isEnvelope(value.value)) {
    const r = envelopeSchema.safeParse(value.value);
    return r.success
      ? { kind: 'envelope', envelope: r.data }
      : { kind: 'malformed', error: `not a forwarder envelope: ${issues(r.error)}` };
  }
  return decodeMessage(value.value);
}

/** Decodes an RTVI message given as an object or as JSON text. */
export function decodeMessage(input: unknown): Decoded {
  const value = typeof input === 'string' ? parseJson(input) : { ok: true as const, value: input };
  if (!value.ok) return { kind: 'malformed', error: value.error };
  const r = rtviMessageSchema.safeParse(value.value);
  if (!r.success) return { kind: 'malformed', error: `not an RTVI message: ${issues(r.error)}` };
  if (r.data.label !== undefined && r.data.label !== RTVI_LABEL) {
    return { kind: 'ignored', reason: `label ${JSON.stringify(r.data.label).slice(0, 64)}` };
  }
  return { kind: 'rtvi', message: r.data };
}

function isEnvelope(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'conversation_id' in v && !('type' in v);
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** A short, readable list of zod issues. */
export function issues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || 'value'}: ${i.message}`)
    .join('; ');
}

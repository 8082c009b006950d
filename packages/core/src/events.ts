/**
 * `VoiceEvent`: the one input of the pipeline. Adapters translate a platform's events into these;
 * everything after them (turns, spans, metrics, severity) is shared.
 */
import { z } from 'zod';

/** Epoch milliseconds. */
const epochMs = z.number().finite().nonnegative();
const nonNegative = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();

/** Extra attributes an adapter attaches to the span the event belongs to (platform figures, ids). */
export const attributesSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
/** Span attributes an event may carry. */
export type EventAttributes = z.infer<typeof attributesSchema>;

/** Pipeline layers an error can belong to. */
export const layerSchema = z.enum(['telephony', 'stt', 'llm', 'tool', 'tts', 'dialog']);
/** A layer of the voice pipeline. */
export type ErrorLayer = z.infer<typeof layerSchema>;

const base = {
  /** When it happened, epoch ms. Defaults to the clock's now when recorded. */
  at: epochMs.optional(),
  /** Attributes for the span this event belongs to. */
  attributes: attributesSchema.optional(),
};

const provider = {
  provider: z.string().max(200).optional(),
  model: z.string().max(200).optional(),
};

/** A component failure: a message string, or `true` when the platform gives no message. */
const componentError = z.union([z.string(), z.literal(true)]).optional();

const bare = <T extends string>(type: T) => z.object({ type: z.literal(type), ...base });

const stt = <T extends string>(type: T) =>
  z.object({
    type: z.literal(type),
    ...base,
    ...provider,
    transcript: z.string(),
    confidence: z.number().finite().min(0).max(1).optional(),
    /**
     * Time from end of speech to this transcript, as the STT provider or framework measured it.
     * Omitted: derived from the end of user speech. `null`: unknown (never derived).
     */
    latencyMs: nonNegative.nullable().optional(),
    audioDurationMs: nonNegative.optional(),
  });

const tts = {
  ...base,
  ...provider,
  voice: z.string().max(200).optional(),
  characters: count.optional(),
};

/** Zod schema of every voice event, discriminated on `type`. */
export const voiceEventSchema = z.discriminatedUnion('type', [
  bare('user.speech.started'),
  bare('user.speech.ended'),
  stt('stt.partial'),
  stt('stt.final'),
  z.object({
    type: z.literal('turn.end_detected'),
    ...base,
    /** End-of-utterance / endpointing delay, from end of user speech to the decision. */
    delayMs: nonNegative.optional(),
  }),
  z.object({
    type: z.literal('llm.started'),
    ...base,
    ...provider,
    /** Prompt or last user message; shown on spans only as the content policy allows. */
    input: z.string().optional(),
  }),
  z.object({ type: z.literal('llm.first_token'), ...base, ...provider }),
  z.object({
    type: z.literal('llm.ended'),
    ...base,
    ...provider,
    inputTokens: count.optional(),
    outputTokens: count.optional(),
    /** Generated text; shown on spans only as the content policy allows. */
    output: z.string().optional(),
    error: componentError,
    cancelled: z.boolean().optional(),
  }),
  z.object({
    type: z.literal('tool.started'),
    ...base,
    name: z.string().min(1).max(200),
    callId: z.string().min(1).max(200),
    arguments: z.unknown().optional(),
  }),
  z.object({
    type: z.literal('tool.ended'),
    ...base,
    name: z.string().min(1).max(200),
    callId: z.string().min(1).max(200),
    result: z.unknown().optional(),
    error: componentError,
    cancelled: z.boolean().optional(),
  }),
  z.object({ type: z.literal('tts.started'), ...tts, text: z.string().optional() }),
  z.object({ type: z.literal('tts.first_audio'), ...tts }),
  z.object({
    type: z.literal('tts.ended'),
    ...tts,
    error: componentError,
    cancelled: z.boolean().optional(),
  }),
  bare('agent.speech.started'),
  z.object({ type: z.literal('agent.speech.ended'), ...base, interrupted: z.boolean().optional() }),
  bare('user.interrupted'),
  z.object({
    type: z.literal('error'),
    ...base,
    layer: layerSchema,
    message: z.string().max(10_000),
    /** `false` means the call cannot go on. Defaults to `true`. */
    recoverable: z.boolean().optional(),
  }),
]);

/** A voice event (see {@link voiceEventSchema}). */
export type VoiceEvent = z.infer<typeof voiceEventSchema>;
/** The `type` strings of {@link VoiceEvent}. */
export type VoiceEventType = VoiceEvent['type'];
/** A voice event of one type. */
export type VoiceEventOf<T extends VoiceEventType> = Extract<VoiceEvent, { type: T }>;

/** Every `type` string, in the order of the design's table. */
export const VOICE_EVENT_TYPES = voiceEventSchema.options.map((o) => o.shape.type.value) as VoiceEventType[];

// ---- fast path ------------------------------------------------------------------------------------
// Validating every event with zod costs about 0.3 µs and two allocations; an agent records ~17 events a
// turn. `isExactVoiceEvent` accepts, without copying, exactly the inputs zod would return unchanged:
// a plain object with only the schema's keys, each valid. Anything else (unknown keys to strip, a bad
// value, an odd object) goes through zod, which also says what is wrong. The property test
// `events.fast-path.test.ts` checks it against the schema.

type Check = (v: unknown) => boolean;
const opt =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const isString: Check = (v) => typeof v === 'string';
const isNonNegative: Check = (v) => typeof v === 'number' && v >= 0 && v !== Number.POSITIVE_INFINITY;
const isCount: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isBoolean: Check = (v) => typeof v === 'boolean';
const maxLength =
  (max: number, min = 0): Check =>
  (v) =>
    typeof v === 'string' && v.length <= max && v.length >= min;
const LAYERS: ReadonlySet<unknown> = new Set(layerSchema.options);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isAttributes(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  for (const k in v) {
    // zod drops a `__proto__` key; the slow path handles it.
    if (k === '__proto__') return false;
    const x = v[k];
    if (typeof x !== 'string' && typeof x !== 'boolean' && !(typeof x === 'number' && Number.isFinite(x)))
      return false;
  }
  return true;
}

/** The rule of each field, by name (a name means the same thing in every event type). */
const FIELDS: ReadonlyMap<string, Check> = new Map<string, Check>([
  ['at', opt(isNonNegative)],
  ['attributes', opt(isAttributes)],
  ['provider', opt(maxLength(200))],
  ['model', opt(maxLength(200))],
  ['voice', opt(maxLength(200))],
  ['transcript', isString],
  ['confidence', opt((v) => typeof v === 'number' && v >= 0 && v <= 1)],
  ['latencyMs', (v) => v === null || v === undefined || isNonNegative(v)],
  ['audioDurationMs', opt(isNonNegative)],
  ['delayMs', opt(isNonNegative)],
  ['input', opt(isString)],
  ['output', opt(isString)],
  ['text', opt(isString)],
  ['inputTokens', opt(isCount)],
  ['outputTokens', opt(isCount)],
  ['characters', opt(isCount)],
  ['error', opt((v) => typeof v === 'string' || v === true)],
  ['cancelled', opt(isBoolean)],
  ['interrupted', opt(isBoolean)],
  ['recoverable', opt(isBoolean)],
  ['name', maxLength(200, 1)],
  ['callId', maxLength(200, 1)],
  ['arguments', () => true],
  ['result', () => true],
  ['layer', (v) => LAYERS.has(v)],
  ['message', maxLength(10_000)],
]);

/** Per event type: its fields and their rules (parallel arrays), taken from the schema's shape. */
const SHAPES: ReadonlyMap<unknown, { keys: string[]; checks: Check[]; known: ReadonlySet<string> }> = new Map(
  voiceEventSchema.options.flatMap((o) => {
    const type = o.shape.type.value;
    const keys = ['type'];
    const checks: Check[] = [(v) => v === type];
    for (const key of Object.keys(o.shape)) {
      if (key === 'type') continue;
      const check = FIELDS.get(key);
      // A field without a rule here keeps its event type on the zod path.
      if (!check) return [];
      keys.push(key);
      checks.push(check);
    }
    return [[type, { keys, checks, known: new Set(keys) }] as const];
  }),
);

/**
 * Whether `input` is a {@link VoiceEvent} that {@link voiceEventSchema} would return unchanged (see the
 * comment above). `false` means "ask the schema", not "invalid".
 */
export function isExactVoiceEvent(input: unknown): input is VoiceEvent {
  if (!isPlainObject(input)) return false;
  const shape = SHAPES.get(input.type);
  if (!shape) return false;
  // Every field read as the schema reads it (a missing required field reads undefined and fails)…
  const { keys, checks } = shape;
  for (let i = 0; i < keys.length; i++) if (!checks[i]!(input[keys[i]!])) return false;
  // …and no key the schema would strip.
  for (const k in input) if (!shape.known.has(k)) return false;
  return true;
}

/** Result of {@link parseVoiceEvent}. */
export type ParsedEvent = { ok: true; event: VoiceEvent } | { ok: false; error: string };

/** Validates an unknown value as a {@link VoiceEvent}; never throws. */
export function parseVoiceEvent(input: unknown): ParsedEvent {
  const r = voiceEventSchema.safeParse(input);
  if (r.success) return { ok: true, event: r.data };
  return {
    ok: false,
    error: r.error.issues.map((i) => `${i.path.map(String).join('.') || 'event'}: ${i.message}`).join('; '),
  };
}

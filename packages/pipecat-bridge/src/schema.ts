/**
 * Zod schemas of the RTVI messages the bridge reads (field names exactly as in Pipecat's
 * `processors/frameworks/rtvi/models.py`, RTVI protocol 1.x–2.1) and of the forwarder's envelope.
 * Pipecat dumps its models with `exclude_none=True`, so optional fields are absent, never `null`;
 * unknown fields are accepted and dropped, because the protocol keeps growing.
 */
import { z } from 'zod';

/** The RTVI message label; messages with another label (Tail's `tail`, …) are ignored. */
export const RTVI_LABEL = 'rtvi-ai';

/** Any RTVI message: `type` decides how `data` is read. */
export const rtviMessageSchema = z.object({
  label: z.string().optional(),
  type: z.string().min(1),
  id: z.string().optional(),
  data: z.unknown().optional(),
});
/** An RTVI message as it travels on the wire. */
export type RtviMessage = z.infer<typeof rtviMessageSchema>;

const seconds = z.number().finite();
const processor = z.string().min(1);
const model = z.string().optional();

/** `ttfb`, `processing` (seconds) and `characters` (a count) items. */
export const metricValueSchema = z.object({ processor, model, value: seconds });
/** TTS time to first audible audio (≥ 1.5.0), seconds. */
export const ttfaSchema = z.object({
  processor,
  model,
  ttfa: seconds,
  ttfb: seconds.optional(),
  leading_silence: seconds.optional(),
});
/** LLM time to first answer token (main after 1.7.0), seconds. */
export const ttfatSchema = z.object({
  processor,
  model,
  ttfat: seconds,
  ttfb: seconds.optional(),
  thinking_time: seconds.optional(),
});
const tokenCount = z.number().int().nonnegative().optional();
/** `LLMTokenUsage`, unwrapped: it carries no processor or model. */
export const tokensSchema = z.object({
  prompt_tokens: z.number().int().nonnegative(),
  completion_tokens: z.number().int().nonnegative(),
  total_tokens: tokenCount,
  cache_read_input_tokens: tokenCount,
  cache_creation_input_tokens: tokenCount,
  reasoning_tokens: tokenCount,
  input_audio_tokens: tokenCount,
  output_audio_tokens: tokenCount,
  cache_read_input_audio_tokens: tokenCount,
});
/** LLM token usage of one completion. */
export type TokenUsage = z.infer<typeof tokensSchema>;
/** STT audio sent since the previous report (≥ 1.7.0), seconds. */
export const sttUsageSchema = z.object({
  processor,
  model,
  value: z.object({ audio_seconds: seconds }),
});

/** The item schema of each `metrics` key the bridge reads. Other keys are ignored. */
export const metricItemSchemas = {
  ttfb: metricValueSchema,
  processing: metricValueSchema,
  characters: metricValueSchema,
  ttfa: ttfaSchema,
  ttfat: ttfatSchema,
  tokens: tokensSchema,
  stt_usage: sttUsageSchema,
} as const;
/** A `metrics` key the bridge reads. */
export type MetricKey = keyof typeof metricItemSchemas;
/** One item of a `metrics` key. */
export type MetricItem<K extends MetricKey> = z.infer<(typeof metricItemSchemas)[K]>;

/** `metrics.data`: an object of arrays. */
export const metricsDataSchema = z.record(z.string(), z.unknown());

const text = z.object({ text: z.string() });

/** `data` schemas of the message types the bridge reads; a type not listed here is ignored. */
export const dataSchemas = {
  'bot-ready': z
    .object({
      version: z.string().optional(),
      about: z.object({ library: z.string().optional(), library_version: z.string().optional() }).optional(),
    })
    .optional(),
  'user-transcription': z.object({
    text: z.string(),
    final: z.boolean(),
    user_id: z.string().optional(),
    timestamp: z.string().optional(),
  }),
  'user-llm-text': text,
  'bot-llm-text': text,
  /** v2 adds `spoken_status`/`spoken_progress`; v1 (legacy clients) has `spoken: true|false` only. */
  'bot-output': z.object({
    text: z.string(),
    aggregated_by: z.string().optional(),
    spoken: z.boolean().optional(),
    will_be_spoken: z.boolean().optional(),
    segment_id: z.number().optional(),
    spoken_status: z.string().optional(),
  }),
  // With the default report level `NONE` the data is `{}`.
  'llm-function-call-started': z.object({ function_name: z.string().optional() }).optional(),
  'llm-function-call-in-progress': z.object({
    tool_call_id: z.string().min(1),
    function_name: z.string().optional(),
    arguments: z.unknown().optional(),
  }),
  'llm-function-call-stopped': z.object({
    tool_call_id: z.string().min(1),
    cancelled: z.boolean().optional(),
    function_name: z.string().optional(),
    result: z.unknown().optional(),
  }),
  /** Deprecated since protocol 1.2.0 (`RTVIProcessor.handle_function_call`). */
  'llm-function-call': z.object({
    function_name: z.string().min(1),
    tool_call_id: z.string().min(1),
    args: z.unknown().optional(),
  }),
  // The server sends `{error, fatal}`; client-js's own `ErrorData` type says `message`.
  error: z
    .object({ error: z.string().optional(), message: z.string().optional(), fatal: z.boolean().optional() })
    .refine((d) => d.error !== undefined || d.message !== undefined, 'error text missing'),
  metrics: metricsDataSchema.optional(),
  /** `TTSTextFrame`: per word for word-timestamp TTS, else per sentence. */
  'bot-tts-text': text,
  /** `GoogleRTVIObserver` only: Gemini's grounding (web search) for the response. */
  'bot-llm-search-response': z.object({
    search_result: z.string().optional(),
    rendered_content: z.string().optional(),
    origins: z.array(z.unknown()).optional(),
  }),
} as const;

/** Message types with no data the bridge reads. */
export const BARE_TYPES = [
  'user-started-speaking',
  'user-stopped-speaking',
  'vad-user-started-speaking',
  'vad-user-stopped-speaking',
  'user-mute-started',
  'user-mute-stopped',
  'bot-started-speaking',
  'bot-stopped-speaking',
  'bot-interrupted',
  'bot-llm-started',
  'bot-llm-stopped',
  'bot-tts-started',
  'bot-tts-stopped',
] as const;

/**
 * Types Pipecat sends that carry nothing the bridge uses (research §1.3): ignored and counted, without a
 * diagnostic. Any other type the bridge does not read is also ignored and counted, and reported once.
 */
export const UNUSED_TYPES: ReadonlySet<string> = new Set([
  'user-audio-level',
  'bot-audio-level',
  'system-log',
  'bot-transcription',
  'server-message',
  'server-response',
  'error-response',
  'ui-command',
  'ui-job-group',
  'bot-tts-audio',
]);

const READ_TYPES: ReadonlySet<string> = new Set<string>([...BARE_TYPES, ...Object.keys(dataSchemas)]);

/** Whether the bridge reads this message type (only those open a conversation). */
export const readsType = (type: string): boolean => READ_TYPES.has(type);
/** A message type whose `data` the bridge reads. */
export type KnownType = keyof typeof dataSchemas;
/** The parsed `data` of a known message type. */
export type DataOf<T extends KnownType> = z.infer<(typeof dataSchemas)[T]>;

const conversationId = z.string().min(1).max(256);
/** Envelope timestamps: Unix seconds (`time.time()` on the bot). */
const unixSeconds = z.number().finite().positive();

/**
 * What the Python observer (`examples/pipecat/voxtrace_observer.py`) sends, one JSON text frame each:
 * `{conversation_id, ts, message}` for an RTVI message, `{conversation_id, ts, end: true}` when the
 * pipeline ends.
 */
export const envelopeSchema = z
  .object({
    conversation_id: conversationId,
    ts: unixSeconds,
    message: z.unknown().optional(),
    end: z.literal(true).optional(),
  })
  .refine((e) => (e.end === true) !== (e.message !== undefined && e.message !== null), {
    message: 'an envelope carries either a message or end: true',
  });
/** A forwarder envelope. */
export type Envelope = z.infer<typeof envelopeSchema>;

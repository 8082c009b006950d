/**
 * Zod schemas of what Retell sends (retell-sdk 5.x `CallResponse`, docs.retellai.com webhook and
 * LLM WebSocket pages). Retell's optional fields may be `null`, so they are `nullish`.
 *
 * Strict where a value identifies or times the call (ids, timestamps, status): a wrong type there is
 * a 400. Lenient inside collections (transcript items, words, latency values, cost products): each
 * item is parsed on its own, so one bad item is skipped and the rest of the call is kept.
 */
import { z } from 'zod';

/** Epoch ms, up to the largest date JavaScript can represent. */
const epochMs = z.number().nonnegative().max(8.64e15);
/** Seconds into the call (at most ~115 days: no call is longer). */
const seconds = z.number().nonnegative().max(1e7);
const id = z.string().min(1).max(256);
const label = z.string().max(512);

/** Webhook events Retell documents for voice calls. Others (chat events, `call_inbound`) are passed through. */
export const RETELL_CALL_EVENTS = [
  'call_started',
  'call_ended',
  'call_analyzed',
  'transcript_updated',
  'transfer_started',
  'transfer_bridged',
  'transfer_cancelled',
  'transfer_ended',
] as const;
/** A webhook event about a voice call. */
export type RetellCallEvent = (typeof RETELL_CALL_EVENTS)[number];

/** The call object (`CallResponse`): the fields voxtrace reads; everything else is kept as is. */
export const retellCallSchema = z.looseObject({
  call_id: id,
  agent_id: label.nullish(),
  agent_version: z.number().finite().nullish(),
  agent_name: label.nullish(),
  call_type: label.nullish(),
  direction: label.nullish(),
  call_status: label.nullish(),
  start_timestamp: epochMs.nullish(),
  end_timestamp: epochMs.nullish(),
  duration_ms: z.number().finite().nonnegative().nullish(),
  disconnection_reason: label.nullish(),
  transcript_object: z.array(z.unknown()).nullish(),
  transcript_with_tool_calls: z.array(z.unknown()).nullish(),
  scrubbed_transcript_with_tool_calls: z.array(z.unknown()).nullish(),
  latency: z.record(z.string(), z.unknown()).nullish(),
  call_analysis: z.unknown().optional(),
  call_cost: z.unknown().optional(),
  llm_token_usage: z.unknown().optional(),
});
/** A Retell call object as voxtrace reads it. */
export type RetellCall = z.infer<typeof retellCallSchema>;

/** A webhook body: `{ event, call }` (the deprecated `data` property is read as `call`). */
export const retellWebhookSchema = z.looseObject({
  event: z.string().min(1).max(100),
  call: z.unknown().optional(),
  data: z.unknown().optional(),
});
/** A webhook body as received. */
export type RetellWebhookBody = z.infer<typeof retellWebhookSchema>;

/** A word of a transcript utterance: `start`/`end` are seconds from the start of the call audio. */
export const retellWordSchema = z.looseObject({
  word: z.string().nullish(),
  start: seconds.nullish(),
  end: seconds.nullish(),
});

/** An utterance of `transcript_object` or `transcript_with_tool_calls`. */
export const retellUtteranceSchema = z.looseObject({
  role: z.enum(['agent', 'user', 'transfer_target']),
  content: z.string().nullish(),
  words: z.array(z.unknown()).nullish(),
});
/** An utterance. */
export type RetellUtterance = z.infer<typeof retellUtteranceSchema>;

/** A tool invocation in `transcript_with_tool_calls` (`time_sec`: seconds from call start, seen in real payloads). */
export const retellToolInvocationSchema = z.looseObject({
  role: z.literal('tool_call_invocation'),
  tool_call_id: id,
  name: z.string().min(1).max(200),
  arguments: z.string().nullish(),
  time_sec: seconds.nullish(),
  type: label.nullish(),
});

/** A tool result in `transcript_with_tool_calls`. */
export const retellToolResultSchema = z.looseObject({
  role: z.literal('tool_call_result'),
  tool_call_id: id,
  content: z.string().nullish(),
  successful: z.boolean().nullish(),
  time_sec: seconds.nullish(),
});

/** One latency series of `call.latency` (all milliseconds; `values` in turn order). */
export const retellLatencySchema = z.looseObject({
  p50: z.number().finite().nullish(),
  p90: z.number().finite().nullish(),
  p95: z.number().finite().nullish(),
  p99: z.number().finite().nullish(),
  max: z.number().finite().nullish(),
  min: z.number().finite().nullish(),
  num: z.number().finite().nullish(),
  values: z.array(z.unknown()).nullish(),
});

/** `call.call_analysis` (only in `call_analyzed`). */
export const retellCallAnalysisSchema = z.looseObject({
  call_successful: z.boolean().nullish(),
  user_sentiment: label.nullish(),
  in_voicemail: z.boolean().nullish(),
});

/** `call.call_cost`: every amount in cents. */
export const retellCallCostSchema = z.looseObject({
  combined_cost: z.number().finite().nullish(),
  total_duration_seconds: z.number().finite().nullish(),
  product_costs: z.array(z.unknown()).nullish(),
});

/** One product of `call_cost.product_costs` (cents). */
export const retellProductCostSchema = z.looseObject({
  product: z.string().min(1).max(100),
  cost: z.number().finite(),
});

/** `call.llm_token_usage` (Retell-hosted LLMs only). */
export const retellTokenUsageSchema = z.looseObject({
  average: z.number().finite().nullish(),
  num_requests: z.number().finite().nullish(),
});

// ---- custom-LLM WebSocket ------------------------------------------------------------------------

const responseId = z.number().int().nonnegative();
const wsTranscript = z.array(z.looseObject({ role: z.string(), content: z.string().nullish() })).nullish();

/** A message Retell sends to the custom-LLM server (`interaction_type`). */
export const retellLlmRequestSchema = z.discriminatedUnion('interaction_type', [
  z.looseObject({ interaction_type: z.literal('ping_pong'), timestamp: z.number().nullish() }),
  z.looseObject({ interaction_type: z.literal('call_details'), call: z.unknown() }),
  z.looseObject({
    interaction_type: z.literal('update_only'),
    transcript: wsTranscript,
    turntaking: z.enum(['agent_turn', 'user_turn']).nullish(),
  }),
  z.looseObject({
    interaction_type: z.literal('response_required'),
    response_id: responseId,
    transcript: wsTranscript,
  }),
  z.looseObject({
    interaction_type: z.literal('reminder_required'),
    response_id: responseId,
    transcript: wsTranscript,
  }),
]);
/** A Retell → server message. */
export type RetellLlmRequest = z.infer<typeof retellLlmRequestSchema>;

/** A message the custom-LLM server sends to Retell (`response_type`) that voxtrace times. */
export const retellLlmResponseSchema = z.discriminatedUnion('response_type', [
  z.looseObject({
    response_type: z.literal('response'),
    response_id: responseId,
    content: z.string().nullish(),
    content_complete: z.boolean().nullish(),
    end_call: z.boolean().nullish(),
    transfer_number: z.string().nullish(),
  }),
  z.looseObject({
    response_type: z.literal('tool_call_invocation'),
    tool_call_id: id,
    name: z.string().min(1).max(200),
    arguments: z.string().nullish(),
  }),
  z.looseObject({
    response_type: z.literal('tool_call_result'),
    tool_call_id: id,
    content: z.string().nullish(),
  }),
]);
/** A server → Retell message voxtrace times. */
export type RetellLlmResponse = z.infer<typeof retellLlmResponseSchema>;

/** Formats zod issues as `path: message; …`. */
export function describeIssues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || 'body'}: ${i.message}`)
    .join('; ');
}

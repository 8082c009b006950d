/**
 * Zod schemas of the Vapi server messages this adapter reads (`@vapi-ai/server-sdk` 2.0.1 shapes plus the
 * documented legacy fields). Every object is loose: unknown fields pass through untouched, and a message
 * `type` this file does not know is still a valid message. Only the fields voxtrace uses are typed.
 *
 * Units as Vapi sends them: `timestamp`, `time`, `endTime` epoch milliseconds; `secondsFromStart`
 * seconds; `startedAt`/`endedAt` ISO 8601; latencies milliseconds; costs USD.
 */
import { z } from 'zod';

const num = z.number().finite();
const epochMs = z.number().finite().nonnegative();
const nonNegative = z.number().finite().nonnegative();
/** An instant: ISO 8601 (what Vapi sends) or epoch ms. */
const instant = z.union([epochMs, z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a date')]);
/** An id: Vapi's are UUIDs, core caps ids at 200 characters. */
const id = z.string().min(1).max(200);

/**
 * A tool call in any of Vapi's three documented shapes: SDK `{id, type, function: {name, arguments: string}}`,
 * custom-tools docs `{id, name, arguments: {…}}` (also `function.parameters`), events docs `{id, name, parameters}`.
 */
export const toolCallSchema = z.looseObject({
  id,
  type: z.string().optional(),
  name: z.string().optional(),
  arguments: z.unknown().optional(),
  parameters: z.unknown().optional(),
  function: z
    .looseObject({
      name: z.string().optional(),
      arguments: z.unknown().optional(),
      parameters: z.unknown().optional(),
    })
    .optional(),
});
/** A tool call of a `tool-calls` message or a `tool_calls` artifact message. */
export type VapiToolCall = z.infer<typeof toolCallSchema>;

/**
 * One `artifact.messages` item. `role` is `system`, `bot`, `user`, `tool_calls` or `tool_call_result`
 * (typed as a string by Vapi; other roles are kept and skipped). `duration` is deliberately not read: it is
 * documented in seconds but observed in milliseconds; `endTime − time` is the duration.
 */
export const artifactMessageSchema = z.looseObject({
  role: z.string(),
  message: z.string().optional(),
  time: epochMs.optional(),
  endTime: epochMs.optional(),
  secondsFromStart: num.optional(),
  toolCalls: z.array(toolCallSchema).optional(),
  toolCallId: z.string().optional(),
  name: z.string().optional(),
  result: z.unknown().optional(),
});
/** An `artifact.messages` item. */
export type VapiArtifactMessage = z.infer<typeof artifactMessageSchema>;

/** `TurnLatency`: Vapi's per-stage figures of one bot turn; no index, no timestamps. */
export const turnLatencySchema = z.looseObject({
  modelLatency: nonNegative.optional(),
  voiceLatency: nonNegative.optional(),
  transcriberLatency: nonNegative.optional(),
  endpointingLatency: nonNegative.optional(),
  turnLatency: nonNegative.optional(),
});
/** A `turnLatencies` entry. */
export type VapiTurnLatency = z.infer<typeof turnLatencySchema>;

/** `PerformanceMetrics` of `artifact`. */
export const performanceMetricsSchema = z.looseObject({
  turnLatencies: z.array(turnLatencySchema).optional(),
  modelLatencyAverage: nonNegative.optional(),
  voiceLatencyAverage: nonNegative.optional(),
  transcriberLatencyAverage: nonNegative.optional(),
  endpointingLatencyAverage: nonNegative.optional(),
  turnLatencyAverage: nonNegative.optional(),
  fromTransportLatencyAverage: nonNegative.optional(),
  toTransportLatencyAverage: nonNegative.optional(),
  numUserInterrupted: nonNegative.optional(),
  numAssistantInterrupted: nonNegative.optional(),
});

const providerModel = z.looseObject({ provider: z.string().optional(), model: z.string().optional() });

/** The parts of an assistant voxtrace reads (providers, for span attributes). */
export const assistantSchema = z.looseObject({
  name: z.string().optional(),
  model: providerModel.optional(),
  transcriber: providerModel.optional(),
  voice: z
    .looseObject({
      provider: z.string().optional(),
      model: z.string().optional(),
      voiceId: z.union([z.string(), num]).optional(),
    })
    .optional(),
});

/** `CostBreakdown` of `call` (USD, token and character counts). */
export const costBreakdownSchema = z.looseObject({
  transport: num.optional(),
  stt: num.optional(),
  llm: num.optional(),
  tts: num.optional(),
  vapi: num.optional(),
  chat: num.optional(),
  total: num.optional(),
  llmPromptTokens: num.optional(),
  llmCompletionTokens: num.optional(),
  llmCachedPromptTokens: num.optional(),
  ttsCharacters: num.optional(),
});

/** One entry of `costs` (`TransportCost`, `TranscriberCost`, `ModelCost`, `VoiceCost`, `VapiCost`, …). */
export const costSchema = z.looseObject({
  type: z.string(),
  cost: num.optional(),
  promptTokens: num.optional(),
  completionTokens: num.optional(),
  cachedPromptTokens: num.optional(),
  characters: num.optional(),
  transcriber: providerModel.optional(),
  model: providerModel.optional(),
  voice: z.looseObject({ provider: z.string().optional(), voiceId: z.unknown().optional() }).optional(),
});

/** The parts of `Call` voxtrace reads. `id` is the conversation id (and so the trace id). */
export const callSchema = z.looseObject({
  id: id.optional(),
  type: z.string().optional(),
  status: z.string().optional(),
  endedReason: z.string().optional(),
  startedAt: instant.optional(),
  endedAt: instant.optional(),
  assistantId: z.string().optional(),
  phoneCallProvider: z.string().optional(),
  phoneCallTransport: z.string().optional(),
  cost: num.optional(),
  costBreakdown: costBreakdownSchema.optional(),
  assistant: assistantSchema.optional(),
});

/** Fields common to every server message. */
const common = {
  type: z.string(),
  timestamp: epochMs.optional(),
  call: callSchema.optional(),
  assistant: assistantSchema.optional(),
};

/** Any server message: a known type is further checked by its own schema. */
export const messageSchema = z.looseObject(common);
/** A Vapi server message (`body.message`), unknown fields included. */
export type VapiMessage = z.infer<typeof messageSchema>;

/** `Artifact` of an `end-of-call-report`. */
export const artifactSchema = z.looseObject({
  messages: z.array(artifactMessageSchema).optional(),
  performanceMetrics: performanceMetricsSchema.optional(),
});

/** `end-of-call-report`, with the legacy top-level fallbacks (`messages`, `durationMs`, `durationSeconds`). */
export const endOfCallReportSchema = z.looseObject({
  ...common,
  endedReason: z.string().optional(),
  startedAt: instant.optional(),
  endedAt: instant.optional(),
  cost: num.optional(),
  costs: z.array(costSchema).optional(),
  analysis: z
    .looseObject({
      successEvaluation: z.union([z.string(), z.boolean(), num]).nullable().optional(),
    })
    .optional(),
  artifact: artifactSchema.optional(),
  messages: z.array(artifactMessageSchema).optional(),
  durationMs: nonNegative.optional(),
  durationSeconds: nonNegative.optional(),
});
/** An `end-of-call-report` message. */
export type VapiEndOfCallReport = z.infer<typeof endOfCallReportSchema>;

/** `tool-calls` (its `type` is optional in the SDK type: a message with a `toolCallList` is one). */
export const toolCallsSchema = z.looseObject({
  ...common,
  toolCallList: z.array(toolCallSchema).optional(),
  toolWithToolCallList: z
    .array(z.looseObject({ name: z.string().optional(), toolCall: toolCallSchema.optional() }))
    .optional(),
});
/** A `tool-calls` message. */
export type VapiToolCallsMessage = z.infer<typeof toolCallsSchema>;

/** `status-update`: `endedReason` comes with `status: "ended"`. */
export const statusUpdateSchema = z.looseObject({
  ...common,
  status: z.string(),
  endedReason: z.string().optional(),
});
/** `speech-update`: `role` `user` or `assistant`, `status` `started` or `stopped`. */
export const speechUpdateSchema = z.looseObject({
  ...common,
  status: z.string(),
  role: z.string(),
  turn: num.optional(),
});
/** `transcript` (also sent as `transcript[transcriptType="final"]`). */
export const transcriptSchema = z.looseObject({
  ...common,
  role: z.string(),
  transcriptType: z.string().optional(),
  transcript: z.string(),
});
/** `model-output`: a token or tool call; `turnId` groups the tokens of one LLM response. */
export const modelOutputSchema = z.looseObject({
  ...common,
  output: z.unknown().optional(),
  turnId: z.string().optional(),
});
/** `voice-input`: a generation was requested from the voice (TTS) provider. */
export const voiceInputSchema = z.looseObject({ ...common, input: z.string().optional() });
/** `assistant.speechStarted` (opt-in). */
export const assistantSpeechSchema = z.looseObject({ ...common, text: z.string().optional() });
/** `language-change-detected`. */
export const languageChangeSchema = z.looseObject({ ...common, language: z.string().optional() });
/** Legacy `function-call` (no SDK type any more; still in the default `serverMessages`). */
export const functionCallSchema = z.looseObject({
  ...common,
  functionCall: z.looseObject({ name: z.string(), parameters: z.unknown().optional() }),
});
/** `conversation-update`: the call's messages so far, artifact-shaped. */
export const conversationUpdateSchema = z.looseObject({
  ...common,
  messages: z.array(artifactMessageSchema).optional(),
});

/**
 * Schemas by message type, with the fields that make the message meaningful (`essential`): a message whose
 * essential field has the wrong type is refused; any other bad field is dropped and reported.
 */
export const MESSAGE_SCHEMAS: Record<string, { schema: z.ZodType; essential?: readonly string[] }> = {
  'status-update': { schema: statusUpdateSchema, essential: ['status'] },
  'speech-update': { schema: speechUpdateSchema, essential: ['status', 'role'] },
  transcript: { schema: transcriptSchema, essential: ['role', 'transcript'] },
  'model-output': { schema: modelOutputSchema },
  'voice-input': { schema: voiceInputSchema },
  'assistant.speechStarted': { schema: assistantSpeechSchema },
  'language-change-detected': { schema: languageChangeSchema },
  'tool-calls': { schema: toolCallsSchema },
  'function-call': { schema: functionCallSchema, essential: ['functionCall'] },
  'conversation-update': { schema: conversationUpdateSchema },
  'end-of-call-report': { schema: endOfCallReportSchema },
};

/** The body Vapi POSTs: `{ message }`. */
export const envelopeSchema = z.looseObject({ message: z.looseObject({}) });

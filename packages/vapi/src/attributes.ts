/**
 * Attribute keys this adapter puts on spans, in one place. Vapi's own figures keep Vapi's name and
 * carry their unit in the key; voxtrace's figures (felt latency, outcome…) are core's keys.
 */

/** Keys of Vapi figures on `turn` spans (from `artifact.performanceMetrics.turnLatencies`, milliseconds). */
export const VAPI_TURN_ATTR = {
  /** Vapi's own turn latency: leaves out endpointing and transport, unlike `turn.e2e_latency_ms`. */
  turnLatencyMs: 'vapi.turn_latency_ms',
  modelLatencyMs: 'vapi.model_latency_ms',
  voiceLatencyMs: 'vapi.voice_latency_ms',
  transcriberLatencyMs: 'vapi.transcriber_latency_ms',
  endpointingLatencyMs: 'vapi.endpointing_latency_ms',
  /** 0-based index of the `turnLatencies` entry matched to this turn. */
  turnLatencyIndex: 'vapi.turn_latency_index',
  /** Set on the `error` of a `hang` message. */
  hang: 'vapi.hang',
  /** `server_answer` on a tool span ended at your answer because Vapi never sent its time of the result. */
  toolTiming: 'vapi.tool.timing',
} as const;

/** Keys of the `conversation` span. */
export const VAPI_CALL_ATTR = {
  callType: 'vapi.call.type',
  assistantId: 'vapi.assistant.id',
  assistantName: 'vapi.assistant.name',
  phoneCallProvider: 'vapi.phone_call.provider',
  phoneCallTransport: 'vapi.phone_call.transport',
  endedReason: 'vapi.ended_reason',
  endedReasonFamily: 'vapi.ended_reason.family',
  /** `vapi`, `provider` or `config` when the endedReason names who was at fault. */
  fault: 'vapi.fault',
  successEvaluation: 'vapi.success_evaluation',
  /** Where the turns of this trace came from: `live` messages or the `report`; `none` when neither had any. */
  turnSource: 'vapi.turn_source',
  /** `turnLatencies` entries and the bot turns they were matched to, when the counts differ. */
  turnLatencyCount: 'vapi.turn_latency.count',
  botTurnCount: 'vapi.bot_turn.count',
  numUserInterrupted: 'vapi.num_user_interrupted',
  numAssistantInterrupted: 'vapi.num_assistant_interrupted',
  hangs: 'vapi.hang.count',
  language: 'vapi.language',
  /** Call setup stages of `@vapi-ai/web` (`call-start-progress`): `vapi.setup.<stage>_ms`. */
  setupPrefix: 'vapi.setup.',
  setupTotalMs: 'vapi.setup.total_ms',
  setupFailedStage: 'vapi.setup.failed_stage',
} as const;

/** Averages of `artifact.performanceMetrics`, milliseconds, by Vapi field. */
export const VAPI_AVERAGE_ATTR = {
  turnLatencyAverage: 'vapi.turn_latency_avg_ms',
  modelLatencyAverage: 'vapi.model_latency_avg_ms',
  voiceLatencyAverage: 'vapi.voice_latency_avg_ms',
  transcriberLatencyAverage: 'vapi.transcriber_latency_avg_ms',
  endpointingLatencyAverage: 'vapi.endpointing_latency_avg_ms',
  fromTransportLatencyAverage: 'vapi.from_transport_latency_avg_ms',
  toTransportLatencyAverage: 'vapi.to_transport_latency_avg_ms',
} as const;

/** Cost attributes (USD) and usage counts, by `call.costBreakdown` field. */
export const VAPI_COST_ATTR = {
  total: 'vapi.cost.total_usd',
  transport: 'vapi.cost.transport_usd',
  stt: 'vapi.cost.stt_usd',
  llm: 'vapi.cost.llm_usd',
  tts: 'vapi.cost.tts_usd',
  vapi: 'vapi.cost.vapi_usd',
  chat: 'vapi.cost.chat_usd',
  analysis: 'vapi.cost.analysis_usd',
  knowledgeBase: 'vapi.cost.knowledge_base_usd',
  voicemailDetection: 'vapi.cost.voicemail_detection_usd',
  llmPromptTokens: 'vapi.usage.llm_prompt_tokens',
  llmCompletionTokens: 'vapi.usage.llm_completion_tokens',
  llmCachedPromptTokens: 'vapi.usage.llm_cached_prompt_tokens',
  ttsCharacters: 'vapi.usage.tts_characters',
} as const;

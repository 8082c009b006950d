/**
 * Span names and attribute keys, in one place. voxtrace's own keys (`conversation.*`, `turn.*`,
 * `component.*`, `voice.*`) follow seed 000's "Key attributes to capture per span"; LLM and tool
 * spans also carry the OpenTelemetry GenAI keys, declared here rather than imported from
 * `@opentelemetry/semantic-conventions/incubating`, where they are experimental and may change in a
 * minor (a test checks every `gen_ai.*` key here against that package). Figures the GenAI
 * conventions do not define (total tokens, audio tokens) are voxtrace's own: `voice.llm.usage.*`.
 */

/** Span names of the span model. */
export const SPAN = {
  conversation: 'conversation',
  turn: 'turn',
  stt: 'stt',
  turnDetection: 'turn_detection',
  llm: 'llm',
  tool: 'tool_call',
  tts: 'tts',
} as const;

/** Attribute keys. */
export const ATTR = {
  // conversation
  conversationId: 'conversation.id',
  platform: 'voice.platform',
  outcome: 'voice.call.outcome',
  endReason: 'voice.call.end_reason',
  taskCompleted: 'voice.call.task_completed',
  turnCount: 'voice.turn.count',
  interruptions: 'voice.call.interruptions',
  eventsInvalid: 'voice.events.invalid',
  eventsDuplicate: 'voice.events.duplicate',
  eventsLate: 'voice.events.late',
  // turns (and their spans) left out of the trace: the conversation had used its share of the export queue
  turnsOmitted: 'voice.turns.omitted',
  spansOmitted: 'voice.spans.omitted',
  // turn
  turnIndex: 'turn.index',
  turnInitiator: 'turn.initiator',
  turnE2eLatencyMs: 'turn.e2e_latency_ms',
  turnInterrupted: 'turn.interrupted',
  turnBottleneck: 'turn.bottleneck',
  turnBottleneckShare: 'turn.bottleneck_share',
  turnUserTranscript: 'turn.user.transcript',
  // when the caller and the agent spoke (epoch ms), for waterfalls
  turnUserSpeechStartedAt: 'turn.user_speech.started_at_ms',
  turnUserSpeechEndedAt: 'turn.user_speech.ended_at_ms',
  turnAgentSpeechStartedAt: 'turn.agent_speech.started_at_ms',
  turnAgentSpeechEndedAt: 'turn.agent_speech.ended_at_ms',
  turnErrorLayers: 'turn.error_layers',
  // the turn's latency along its critical path, by component (they add up to turn.e2e_latency_ms):
  // `other` is network/transport between measured stages, `unmeasured` time a stage nobody reported took
  turnLatencyStt: 'turn.latency_ms.stt',
  turnLatencyTurnDetection: 'turn.latency_ms.turn_detection',
  turnLatencyLlm: 'turn.latency_ms.llm',
  turnLatencyTool: 'turn.latency_ms.tool',
  turnLatencyTts: 'turn.latency_ms.tts',
  turnLatencyOther: 'turn.latency_ms.other',
  turnLatencyUnmeasured: 'turn.latency_ms.unmeasured',
  // components
  componentProvider: 'component.provider',
  componentModel: 'component.model',
  componentLatencyMs: 'component.latency_ms',
  componentError: 'component.error',
  componentCancelled: 'component.cancelled',
  componentUnfinished: 'component.unfinished',
  sttTranscript: 'stt.transcript',
  sttConfidence: 'stt.confidence',
  sttAudioDurationMs: 'stt.audio_duration_ms',
  llmTtftMs: 'llm.ttft_ms',
  llmInput: 'llm.input',
  llmOutput: 'llm.output',
  ttsTtfbMs: 'tts.ttfb_ms',
  ttsCharacters: 'tts.characters',
  ttsVoice: 'tts.voice',
  ttsText: 'tts.text',
  toolArguments: 'gen_ai.tool.call.arguments',
  toolResult: 'gen_ai.tool.call.result',
  // LLM usage the GenAI conventions have no name for
  llmTotalTokens: 'voice.llm.usage.total_tokens',
  llmAudioInputTokens: 'voice.llm.usage.audio.input_tokens',
  llmAudioOutputTokens: 'voice.llm.usage.audio.output_tokens',
  llmAudioCacheReadInputTokens: 'voice.llm.usage.audio.cache_read.input_tokens',
  // OpenTelemetry GenAI
  genAiConversationId: 'gen_ai.conversation.id',
  genAiOperationName: 'gen_ai.operation.name',
  genAiProviderName: 'gen_ai.provider.name',
  /** The name of `gen_ai.provider.name` up to GenAI conventions v1.36 (see `semconvStabilityOptIn`). */
  genAiSystem: 'gen_ai.system',
  genAiRequestModel: 'gen_ai.request.model',
  genAiResponseModel: 'gen_ai.response.model',
  genAiInputTokens: 'gen_ai.usage.input_tokens',
  genAiOutputTokens: 'gen_ai.usage.output_tokens',
  genAiCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  genAiCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  genAiReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
  genAiTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  genAiToolName: 'gen_ai.tool.name',
  genAiToolCallId: 'gen_ai.tool.call.id',
  genAiToolType: 'gen_ai.tool.type',
  genAiOutputType: 'gen_ai.output.type',
  errorType: 'error.type',
} as const;

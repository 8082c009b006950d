/** Attribute keys the adapter puts on voxtrace spans: LiveKit's own figures and ids, in ms. */
export const LK = {
  speechId: 'livekit.speech_id',
  speechSource: 'livekit.speech_source',
  requestId: 'livekit.request_id',
  label: 'livekit.label',
  inputModality: 'livekit.input_modality',
  language: 'livekit.language',
  // user turn (turn_detection span)
  transcriptionDelayMs: 'livekit.transcription_delay_ms',
  endOfTurnDelayMs: 'livekit.end_of_turn_delay_ms',
  onUserTurnCompletedDelayMs: 'livekit.on_user_turn_completed_delay_ms',
  eotProbability: 'livekit.eot.probability',
  eotThreshold: 'livekit.eot.threshold',
  eotInferenceMs: 'livekit.eot.inference_duration_ms',
  // agent reply (turn span)
  e2eLatencyMs: 'livekit.e2e_latency_ms',
  llmNodeTtftMs: 'livekit.llm_node_ttft_ms',
  ttsNodeTtfbMs: 'livekit.tts_node_ttfb_ms',
  playbackLatencyMs: 'livekit.playback_latency_ms',
  // components
  ttsStreamed: 'livekit.tts.streamed',
  ttsAudioDurationMs: 'livekit.tts.audio_duration_ms',
  llmCachedTokens: 'livekit.llm.prompt_cached_tokens',
  errorType: 'livekit.error.type',
  errorLabel: 'livekit.error.label',
  // conversation
  roomSid: 'livekit.room.sid',
  roomName: 'livekit.room.name',
  jobId: 'livekit.job.id',
  agentName: 'livekit.agent.name',
  agentId: 'livekit.agent.id',
  closeReason: 'livekit.close.reason',
  ttsMetricsDeduplicated: 'livekit.tts_metrics.deduplicated',
  // barge-ins LiveKit judged not to be interruptions (conversation)
  falseInterruptions: 'livekit.false_interruptions',
  falseInterruptionsResumed: 'livekit.false_interruptions.resumed',
  backchannels: 'livekit.backchannels',
  // adaptive interruption detection (`interruption_metrics`, conversation totals)
  interruptionDetected: 'livekit.interruption.detected',
  interruptionBackchannels: 'livekit.interruption.backchannels',
  interruptionRequests: 'livekit.interruption.requests',
  interruptionDetectionDelayMaxMs: 'livekit.interruption.detection_delay_ms.max',
  // `session_usage_updated`: the session's usage so far, summed over models (conversation)
  usageLlmInputTokens: 'livekit.usage.llm.input_tokens',
  usageLlmInputCachedTokens: 'livekit.usage.llm.input_cached_tokens',
  usageLlmInputAudioTokens: 'livekit.usage.llm.input_audio_tokens',
  usageLlmOutputTokens: 'livekit.usage.llm.output_tokens',
  usageLlmOutputAudioTokens: 'livekit.usage.llm.output_audio_tokens',
  usageLlmSessionDurationMs: 'livekit.usage.llm.session_duration_ms',
  usageTtsCharacters: 'livekit.usage.tts.characters',
  usageTtsAudioDurationMs: 'livekit.usage.tts.audio_duration_ms',
  usageSttAudioDurationMs: 'livekit.usage.stt.audio_duration_ms',
  usageInterruptionRequests: 'livekit.usage.interruption.requests',
  usageEotRequests: 'livekit.usage.eot.requests',
} as const;

/** Span attributes with the unknown values (`undefined`, `null`, empty strings) left out. */
export function defined(
  entries: Record<string, string | number | boolean | null | undefined>,
): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined && v !== null && v !== '') out[k] = v;
  return out;
}

/** Longest name (tool, call id, provider, model) voice events accept. */
const MAX_NAME = 200;

/** A provider or model name, without LiveKit's `unknown` placeholder. */
export function named(value: string | undefined): string | undefined {
  return value && value !== 'unknown' ? value.slice(0, MAX_NAME) : undefined;
}

/** A name or id cut to what voice events accept (a longer one would make the event invalid). */
export function bounded(value: string): string {
  return value.slice(0, MAX_NAME);
}

/** A count (tokens, characters) as a non-negative integer. */
export function count(value: number): number {
  return Number.isFinite(value) ? Math.max(0, Math.round(value)) : 0;
}

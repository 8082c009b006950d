/**
 * What the adapter uses from `@livekit/agents`: types only. Importing the package at runtime would
 * load its native libraries (`@livekit/rtc-node`, sharp), so event names are written out here as
 * strings, each checked at compile time against the `AgentSessionEventTypes` value it stands for.
 */
import type { AgentEvent, AgentSessionEventTypes } from '@livekit/agents';

export type {
  AgentFalseInterruptionEvent,
  AgentHandoffItem,
  AgentMetrics,
  AgentSession,
  AgentStateChangedEvent,
  ChatMessage,
  CloseEvent,
  ConversationItemAddedEvent,
  EOUMetrics,
  EotPredictionEvent,
  ErrorEvent,
  FunctionToolsExecutedEvent,
  InterruptionMetrics,
  LLMMetrics,
  MetricsCollectedEvent,
  RealtimeModelMetrics,
  SessionUsageUpdatedEvent,
  SpeechCreatedEvent,
  SpeechHandle,
  STTMetrics,
  TTSMetrics,
  UserInputTranscribedEvent,
  UserStateChangedEvent,
  UserTranscriptionTimeoutEvent,
} from '@livekit/agents';

/** LiveKit's adaptive interruption verdict on speech over the agent's (not exported by name). */
export type OverlappingSpeechEvent = Extract<AgentEvent, { type: 'overlapping_speech' }>;

/** The enum member whose string value is `value` (a compile error if LiveKit renames it). */
function eventName<K extends AgentSessionEventTypes>(value: `${K}`): K {
  return value as unknown as K;
}

/** The `AgentSession` events the adapter subscribes to, by their `AgentSessionEventTypes` values. */
export const EVENT = {
  userStateChanged: eventName<AgentSessionEventTypes.UserStateChanged>('user_state_changed'),
  agentStateChanged: eventName<AgentSessionEventTypes.AgentStateChanged>('agent_state_changed'),
  userInputTranscribed: eventName<AgentSessionEventTypes.UserInputTranscribed>('user_input_transcribed'),
  userTranscriptionTimeout: eventName<AgentSessionEventTypes.UserTranscriptionTimeout>(
    'user_transcription_timeout',
  ),
  conversationItemAdded: eventName<AgentSessionEventTypes.ConversationItemAdded>('conversation_item_added'),
  functionToolsExecuted: eventName<AgentSessionEventTypes.FunctionToolsExecuted>('function_tools_executed'),
  metricsCollected: eventName<AgentSessionEventTypes.MetricsCollected>('metrics_collected'),
  speechCreated: eventName<AgentSessionEventTypes.SpeechCreated>('speech_created'),
  eotPrediction: eventName<AgentSessionEventTypes.EotPrediction>('eot_prediction'),
  agentFalseInterruption:
    eventName<AgentSessionEventTypes.AgentFalseInterruption>('agent_false_interruption'),
  overlappingSpeech: eventName<AgentSessionEventTypes.OverlappingSpeech>('overlapping_speech'),
  sessionUsageUpdated: eventName<AgentSessionEventTypes.SessionUsageUpdated>('session_usage_updated'),
  error: eventName<AgentSessionEventTypes.Error>('error'),
  close: eventName<AgentSessionEventTypes.Close>('close'),
} as const;

/**
 * The parts of LiveKit's `JobContext` the adapter reads (pass the `ctx` of your entry function).
 * The room sid names the call; the job id is the fallback.
 */
export interface JobContextLike {
  job: {
    id: string;
    agentName?: string;
    room?: { sid?: string; name?: string };
  };
}

/**
 * What the pipeline produces: one `TurnRecord` per finished turn and one `ConversationRecord` per
 * call. Sinks (trace, metrics, monitor, your own) read these; nothing reads raw events twice.
 */
import { z } from 'zod';
import type { ErrorLayer, EventAttributes } from './events.js';

/** How a call ended, as the monitor's rates count it. */
export const outcomeSchema = z.enum([
  /** The call ended normally. */
  'completed',
  /** Escalated: handed to a human or another line. */
  'transferred',
  /** The caller left mid-call, or the call went silent until the idle timeout. */
  'abandoned',
  /** The call ended because something failed. */
  'error',
  /** Outbound call nobody answered, or a busy line. */
  'unanswered',
  /** Outbound call that reached voicemail. */
  'voicemail',
]);
/** How a call ended. */
export type Outcome = z.infer<typeof outcomeSchema>;

/** Why voxtrace closed the conversation: the caller's `end()`, the idle timer, `shutdown()` or the open-call cap. */
export type EndReason = 'ended' | 'idle_timeout' | 'shutdown' | 'evicted';

/**
 * Parts of a turn's latency. The time no component covers is `other` (network, transport,
 * queueing) where the stages on both sides of it were measured, else `unmeasured`: a stage the
 * platform did not report took it, and voxtrace does not guess which (docs/concepts.md).
 */
export type LatencyComponent = 'stt' | 'turn_detection' | 'llm' | 'tool' | 'tts' | 'other' | 'unmeasured';

/** Speech-to-text of a turn (all finals of the user's speech joined). */
export interface SttResult {
  startedAt: number | null;
  endedAt: number;
  /** End of user speech → final transcript (or the provider's own figure); `null` when unknown. */
  latencyMs: number | null;
  transcript: string;
  confidence: number | null;
  provider: string | null;
  model: string | null;
  audioDurationMs: number | null;
  finals: number;
  partials: number;
  attributes: EventAttributes;
}

/** End-of-turn detection (endpointing) of a turn. */
export interface TurnDetection {
  startedAt: number | null;
  endedAt: number;
  delayMs: number | null;
  attributes: EventAttributes;
}

/** Fields shared by every component call. */
export interface ComponentCall {
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  /** Error message when the call failed. */
  error: string | null;
  cancelled: boolean;
  /** Started but never ended before the turn was closed. */
  unfinished: boolean;
  attributes: EventAttributes;
}

/** One LLM call of a turn (a turn with tools has several). */
export interface LlmCall extends ComponentCall {
  firstTokenAt: number | null;
  ttftMs: number | null;
  provider: string | null;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  input: string | null;
  output: string | null;
}

/** One tool call of a turn. */
export interface ToolCall extends ComponentCall {
  name: string;
  callId: string;
  arguments: unknown;
  result: unknown;
}

/** One TTS synthesis of a turn. */
export interface TtsCall extends ComponentCall {
  firstAudioAt: number | null;
  ttfbMs: number | null;
  provider: string | null;
  model: string | null;
  voice: string | null;
  characters: number | null;
  text: string | null;
}

/** An error seen during a turn (from an `error` event or a failed component). */
export interface TurnError {
  layer: ErrorLayer;
  message: string;
  recoverable: boolean;
  at: number;
}

/** The largest share of a turn's latency, when it reaches `BOTTLENECK_SHARE`. */
export interface Bottleneck {
  /** Never `unmeasured`: time nobody measured is not a component. */
  component: Exclude<LatencyComponent, 'unmeasured'>;
  /** Fraction of `e2eLatencyMs`, 0–1. */
  share: number;
}

/** One finished turn. */
export interface TurnRecord {
  conversationId: string;
  /** 1-based. */
  index: number;
  /** `agent` for a turn the agent opened (a greeting), else `user`. */
  initiator: 'user' | 'agent';
  startedAt: number;
  endedAt: number;
  userSpeechStartedAt: number | null;
  userSpeechEndedAt: number | null;
  agentSpeechStartedAt: number | null;
  agentSpeechEndedAt: number | null;
  /** First agent audio − end of user speech: what the caller waited. `null` when either is unknown. */
  e2eLatencyMs: number | null;
  stt: SttResult | null;
  turnDetection: TurnDetection | null;
  llm: LlmCall[];
  tools: ToolCall[];
  tts: TtsCall[];
  /** The caller barged in while the agent spoke. */
  interrupted: boolean;
  errors: TurnError[];
  /** Each component's part of `e2eLatencyMs` in ms; `null` when the latency is unknown. */
  breakdown: Record<LatencyComponent, number> | null;
  bottleneck: Bottleneck | null;
  attributes: EventAttributes;
}

/** Counts of what the conversation received. */
export interface EventStats {
  events: number;
  invalid: number;
  duplicates: number;
  late: number;
}

/** One finished conversation (call). */
export interface ConversationRecord {
  id: string;
  platform: string;
  traceId: string | null;
  startedAt: number;
  endedAt: number;
  durationMs: number;
  outcome: Outcome;
  endReason: EndReason;
  /** Whether the caller's task was done, when the platform or the user says so. */
  taskCompleted: boolean | null;
  /** Finished turns, in order (at most `maxTurns`; `turnCount` is the true count). */
  turns: TurnRecord[];
  turnCount: number;
  interruptions: number;
  /** Errors outside any turn (for example before the first turn). */
  errors: TurnError[];
  attributes: EventAttributes;
  stats: EventStats;
}

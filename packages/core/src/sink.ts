/**
 * Sinks read what the pipeline produces. The trace, the metrics and the monitor are sinks; so can be
 * yours (`createVoxtrace({ sinks: [...] })`). A sink never sees raw platform data, only validated
 * events and finished records, and a sink that throws is counted without disturbing the others.
 */
import type { EventAttributes, VoiceEvent } from './events.js';
import type { ConversationRecord, TurnRecord } from './records.js';

/** What a sink learns when a conversation starts. */
export interface ConversationInfo {
  id: string;
  platform: string;
  startedAt: number;
  /** The conversation's trace id (32 hex digits). */
  traceId: string;
  attributes: EventAttributes;
}

/** Receives one conversation's events and records. */
export interface ConversationSink {
  /** Each validated event, as it is recorded (live signals: speech, interruptions, errors). Keep it cheap. */
  event?(event: VoiceEvent, at: number): void;
  /** Each finished turn. */
  turn?(turn: TurnRecord): void;
  /** The finished conversation. Called once. */
  end?(record: ConversationRecord): void;
}

/** A consumer of conversations. */
export interface VoxtraceSink {
  /** Called when a conversation starts; returns its receiver, or nothing to skip it. */
  startConversation(info: ConversationInfo): ConversationSink | undefined;
  /** Flushes buffered output. */
  forceFlush?(): Promise<void>;
  /** Releases resources at `vt.shutdown()`. */
  shutdown?(): Promise<void>;
}

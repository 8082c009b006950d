/**
 * Regression fixtures: a finished conversation as JSON that replays through the pipeline.
 *
 * A fixture is the conversation's `VoiceEvent`s, regenerated from its record (so nothing is kept
 * per live call): every timestamp, component, error and attribute the record holds. Replaying a
 * fixture gives the same turns, latencies and breakdowns, whatever platform the call came from.
 * Text follows the content policy chosen at export (`redacted` by default), so a fixture can be
 * committed to a test suite.
 */
import { z } from 'zod';
import { applyContentPolicy, applyErrorPolicy, type ContentMode } from './content.js';
import { type ConversationOptions, replayConversation } from './conversation.js';
import { attributesSchema, type VoiceEvent, voiceEventSchema } from './events.js';
import { type ConversationRecord, outcomeSchema, type TurnRecord } from './records.js';

/** Zod schema of a fixture file; `Fixture` is inferred from it. */
export const fixtureSchema = z.object({
  voxtraceFixture: z.literal(1),
  conversation: z.object({
    id: z.string().min(1),
    platform: z.string(),
    startedAt: z.number().finite(),
    endedAt: z.number().finite(),
    outcome: outcomeSchema,
    taskCompleted: z.boolean().nullable(),
    attributes: attributesSchema,
  }),
  events: z.array(voiceEventSchema),
});

/** A regression fixture (see the module comment). */
export type Fixture = z.infer<typeof fixtureSchema>;

/** Options of {@link toFixture}. */
export interface ToFixtureOptions {
  /** How transcripts, LLM text and tool payloads are written (error messages: redacted unless `full`). Default `redacted`. */
  content?: ContentMode;
}

/** Exports a finished conversation as a fixture. */
export function toFixture(record: ConversationRecord, options: ToFixtureOptions = {}): Fixture {
  const mode = options.content ?? 'redacted';
  const policy: Policy = {
    text: (v) => applyContentPolicy(mode, v),
    error: (m) => (m === null ? undefined : applyErrorPolicy(mode, m)),
  };
  const events: VoiceEvent[] = [];
  for (const e of record.errors) {
    events.push({
      type: 'error',
      at: e.at,
      layer: e.layer,
      message: policy.error(e.message)!,
      recoverable: e.recoverable,
    });
  }
  for (const t of record.turns) events.push(...turnEvents(t, policy));
  return {
    voxtraceFixture: 1,
    conversation: {
      id: record.id,
      platform: record.platform,
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      outcome: record.outcome,
      taskCompleted: record.taskCompleted,
      attributes: record.attributes,
    },
    events,
  };
}

/** Parses and validates fixture JSON (a string or a parsed value); throws with the problems listed. */
export function parseFixture(input: unknown): Fixture {
  const value = typeof input === 'string' ? JSON.parse(input) : input;
  const parsed = fixtureSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .slice(0, 10)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new Error(`not a voxtrace fixture:\n  ${problems.join('\n  ')}`);
}

/** Replays a fixture through a new `Conversation` and returns the record. */
export function replayFixture(
  fixture: Fixture,
  options: Omit<ConversationOptions, 'id' | 'platform' | 'startedAt' | 'onTurn'> = {},
): ConversationRecord {
  const c = fixture.conversation;
  return replayConversation(fixture.events, {
    ...options,
    id: c.id,
    platform: c.platform,
    startedAt: c.startedAt,
    attributes: c.attributes,
    end: { outcome: c.outcome, taskCompleted: c.taskCompleted, endedAt: c.endedAt },
  });
}

/** Content and error messages as the fixture writes them. */
interface Policy {
  text: (v: unknown) => string | undefined;
  error: (message: string | null) => string | undefined;
}

/** The events that rebuild one turn, in time order (ties keep causal order). */
function turnEvents(t: TurnRecord, { text, error }: Policy): VoiceEvent[] {
  const out: VoiceEvent[] = [];
  const push = (e: VoiceEvent) => out.push(e);
  const attrs = (a: Record<string, string | number | boolean>) => (Object.keys(a).length ? a : undefined);

  // The event that opens the turn carries the turn's attributes.
  if (t.userSpeechStartedAt !== null) {
    push({ type: 'user.speech.started', at: t.userSpeechStartedAt, attributes: attrs(t.attributes) });
  }
  if (t.userSpeechEndedAt !== null) push({ type: 'user.speech.ended', at: t.userSpeechEndedAt });
  if (t.stt) {
    const s = t.stt;
    push({
      type: 'stt.final',
      at: s.endedAt,
      transcript: text(s.transcript) ?? '',
      confidence: s.confidence ?? undefined,
      provider: s.provider ?? undefined,
      model: s.model ?? undefined,
      latencyMs: s.latencyMs ?? undefined,
      audioDurationMs: s.audioDurationMs ?? undefined,
      attributes: attrs(s.attributes),
    });
  }
  if (t.turnDetection) {
    const d = t.turnDetection;
    push({
      type: 'turn.end_detected',
      at: d.endedAt,
      delayMs: d.delayMs ?? undefined,
      attributes: attrs(d.attributes),
    });
  }
  for (const c of t.llm) {
    const p = { provider: c.provider ?? undefined, model: c.model ?? undefined };
    if (c.startedAt !== null)
      push({
        type: 'llm.started',
        at: c.startedAt,
        ...p,
        input: text(c.input),
        attributes: attrs(c.attributes),
      });
    if (c.firstTokenAt !== null) push({ type: 'llm.first_token', at: c.firstTokenAt, ...p });
    if (c.endedAt !== null)
      push({
        type: 'llm.ended',
        at: c.endedAt,
        ...p,
        inputTokens: c.inputTokens ?? undefined,
        outputTokens: c.outputTokens ?? undefined,
        output: text(c.output),
        error: error(c.error),
        cancelled: c.cancelled || undefined,
        attributes: c.startedAt === null ? attrs(c.attributes) : undefined,
      });
  }
  for (const c of t.tools) {
    const k = { name: c.name, callId: c.callId };
    if (c.startedAt !== null)
      push({
        type: 'tool.started',
        at: c.startedAt,
        ...k,
        arguments: text(c.arguments),
        attributes: attrs(c.attributes),
      });
    if (c.endedAt !== null)
      push({
        type: 'tool.ended',
        at: c.endedAt,
        ...k,
        result: text(c.result),
        error: error(c.error),
        cancelled: c.cancelled || undefined,
        attributes: c.startedAt === null ? attrs(c.attributes) : undefined,
      });
  }
  for (const c of t.tts) {
    const p = {
      provider: c.provider ?? undefined,
      model: c.model ?? undefined,
      voice: c.voice ?? undefined,
      characters: c.characters ?? undefined,
    };
    if (c.startedAt !== null)
      push({
        type: 'tts.started',
        at: c.startedAt,
        ...p,
        text: text(c.text),
        attributes: attrs(c.attributes),
      });
    if (c.firstAudioAt !== null) push({ type: 'tts.first_audio', at: c.firstAudioAt, ...p });
    if (c.endedAt !== null)
      push({
        type: 'tts.ended',
        at: c.endedAt,
        ...p,
        error: error(c.error),
        cancelled: c.cancelled || undefined,
        attributes: c.startedAt === null ? attrs(c.attributes) : undefined,
      });
  }
  if (t.agentSpeechStartedAt !== null)
    push({
      type: 'agent.speech.started',
      at: t.agentSpeechStartedAt,
      attributes: t.userSpeechStartedAt === null ? attrs(t.attributes) : undefined,
    });
  if (t.agentSpeechEndedAt !== null)
    push({ type: 'agent.speech.ended', at: t.agentSpeechEndedAt, interrupted: t.interrupted || undefined });
  else if (t.interrupted) push({ type: 'user.interrupted', at: t.endedAt });
  // Errors that no component carries came from `error` events.
  const carried = new Set([...t.llm, ...t.tools, ...t.tts].map((c) => c.error).filter(Boolean));
  for (const e of t.errors) {
    if (!carried.has(e.message))
      push({
        type: 'error',
        at: e.at,
        layer: e.layer,
        message: error(e.message)!,
        recoverable: e.recoverable,
      });
  }
  // The opening event first; the rest by time, stable for ties (a start before its end).
  const [first, ...rest] = out;
  const ordered = t.userSpeechStartedAt !== null ? rest : out;
  ordered.sort((a, b) => a.at! - b.at!);
  return t.userSpeechStartedAt !== null ? [first!, ...ordered] : ordered;
}

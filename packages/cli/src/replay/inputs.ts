/**
 * What `voxtrace replay` reads, recognised by shape:
 *
 * - a voxtrace fixture (`toFixture(record)`): any platform, and how a LiveKit session is recorded
 *   (the LiveKit adapter feeds a live `AgentSession`, so its recording is the conversation's fixture);
 * - a Vapi server-URL body `{ message: { type: 'end-of-call-report', … } }` (or the bare message), or a
 *   list of bodies as they were delivered (live messages and the report);
 * - a Retell webhook body `{ event: 'call_analyzed' | 'call_ended' | …, call: {…} }`, or a list of them;
 * - a Pipecat RTVI stream: the forwarder's envelopes `{ conversation_id, ts, message }` (ts in Unix
 *   seconds, `end: true` closes), or timed records `{ at_ms, message }` (ms from the start of the
 *   session), as a JSON array, JSON lines, or `{ events: [{ at_ms, message }] }`.
 *
 * A file holds one of these (a document, a JSON array, or JSON lines), one format throughout.
 */
import { type Fixture, parseFixture } from '@voxtrace/core';

/** A recognised replay input. */
export type ReplayInput =
  | { format: 'fixture'; fixture: Fixture }
  | { format: 'vapi'; bodies: unknown[] }
  | { format: 'retell'; bodies: unknown[] }
  | { format: 'pipecat'; envelopes: unknown[] }
  | {
      format: 'pipecat';
      /** Messages timed relative to the session start; `startedAt` (epoch ms) places them, default 0. */
      records: { atMs: number; message: unknown }[];
      conversationId: string;
      startedAt: number;
    };

/** A replay input's format. */
export type ReplayFormat = ReplayInput['format'];

/** Thrown for a file `voxtrace replay` cannot use; the message says why. */
export class ReplayInputError extends Error {
  override readonly name = 'ReplayInputError';
}

type Kind = 'fixture' | 'vapi' | 'retell' | 'envelope' | 'timed' | 'rtvi' | 'unknown';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function kindOf(v: unknown): Kind {
  if (!isObject(v)) return 'unknown';
  if ('voxtraceFixture' in v) return 'fixture';
  if (typeof v.conversation_id === 'string' && 'ts' in v) return 'envelope';
  if (typeof v.at_ms === 'number' && 'message' in v) return 'timed';
  if (isObject(v.message) && typeof v.message.type === 'string') return 'vapi';
  if (v.type === 'end-of-call-report' && isObject(v.call)) return 'vapi';
  if (typeof v.event === 'string' && (isObject(v.call) || isObject(v.data))) return 'retell';
  if (v.label === 'rtvi-ai' && typeof v.type === 'string') return 'rtvi';
  return 'unknown';
}

/** Parses a file's text: one JSON document, or JSON lines. */
function parseText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (whole) {
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    if (lines.length < 2) throw new ReplayInputError(`not JSON: ${(whole as Error).message}`);
    return lines.map((line, i) => {
      try {
        return JSON.parse(line);
      } catch (err) {
        throw new ReplayInputError(`not JSON (nor JSON lines): line ${i + 1}: ${(err as Error).message}`);
      }
    });
  }
}

const HELP =
  'expected a voxtrace fixture, a Vapi end-of-call-report body, a Retell call_analyzed/call_ended body, or a Pipecat RTVI stream (envelopes {conversation_id, ts, message} or records {at_ms, message}; a JSON array or JSON lines)';

/** Recognises a file's content; `name` (the file's base name) names a Pipecat session without an id. */
export function parseReplayInput(text: string, name: string): ReplayInput {
  const value = parseText(text);
  if (isObject(value) && Array.isArray(value.events) && !('voxtraceFixture' in value)) {
    const records = timedRecords(value.events);
    const startedAt = value.startedAt ?? value.started_at ?? 0;
    if (typeof startedAt !== 'number' || !Number.isFinite(startedAt) || startedAt < 0)
      throw new ReplayInputError('startedAt must be epoch milliseconds');
    const id = value.conversation_id ?? value.conversationId ?? name;
    return { format: 'pipecat', records, conversationId: String(id), startedAt };
  }
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new ReplayInputError(`an empty list: ${HELP}`);
  const kinds = new Set(items.map(kindOf));
  if (kinds.size > 1)
    throw new ReplayInputError(`mixes formats (${[...kinds].join(', ')}): one format per file`);
  const kind = [...kinds][0]!;
  switch (kind) {
    case 'fixture':
      if (items.length > 1) throw new ReplayInputError('one fixture per file');
      return { format: 'fixture', fixture: parseFixture(items[0]) };
    case 'vapi':
      return {
        format: 'vapi',
        bodies: items.map((b) => (isObject(b) && !('message' in b) ? { message: b } : b)),
      };
    case 'retell':
      return { format: 'retell', bodies: items };
    case 'envelope':
      return { format: 'pipecat', envelopes: items };
    case 'timed':
      return { format: 'pipecat', records: timedRecords(items), conversationId: name, startedAt: 0 };
    case 'rtvi':
      throw new ReplayInputError(
        'bare RTVI messages carry no time, so turn latency cannot be replayed: record the envelopes {conversation_id, ts, message} the voxtrace observer sends, or {at_ms, message}',
      );
    default:
      throw new ReplayInputError(HELP);
  }
}

function timedRecords(events: unknown[]): { atMs: number; message: unknown }[] {
  return events.map((e, i) => {
    if (!isObject(e) || typeof e.at_ms !== 'number' || !Number.isFinite(e.at_ms) || e.at_ms < 0)
      throw new ReplayInputError(`events[${i}]: expected { at_ms: milliseconds, message }`);
    return { atMs: e.at_ms, message: e.message };
  });
}

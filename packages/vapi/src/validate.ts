/**
 * Lenient validation of a Vapi body. A message is refused only when it is not a message at all (no
 * `{ message: { type } }`) or a field that gives it its meaning has the wrong type (a `speech-update`
 * without a string `role`). Any other bad field is dropped, reported as a problem, and the rest is kept:
 * one malformed `artifact.messages` item never costs the other turns of the call.
 */
import type { z } from 'zod';
import { MESSAGE_SCHEMAS, messageSchema, type VapiMessage } from './schemas.js';

/** Result of {@link parseVapiBody}. */
export type ParsedBody =
  | { ok: true; type: string; message: VapiMessage; problems: string[] }
  | { ok: false; type: string; problems: string[] };

type Path = (string | number)[];

/** More problems than this are summarized, so a response or diagnostic stays small. */
const MAX_PROBLEMS = 20;
/** Rounds of dropping bad fields; each round drops at least one node, nesting is shallow. */
const MAX_ROUNDS = 16;

/** Validates a parsed JSON body as a Vapi server message. Never throws. */
export function parseVapiBody(body: unknown): ParsedBody {
  if (!isRecord(body) || !isRecord(body.message)) {
    return { ok: false, type: '', problems: ['body: expected a JSON object { "message": { "type": … } }'] };
  }
  let message = body.message;
  // `ServerMessageToolCalls.type` is optional in the SDK: a `toolCallList` makes it a tool-calls message.
  if (message.type === undefined && Array.isArray(message.toolCallList))
    message = { ...message, type: 'tool-calls' };
  if (typeof message.type !== 'string' || message.type === '') {
    return { ok: false, type: '', problems: ['message.type: expected a non-empty string'] };
  }
  const type = message.type;
  const entry = MESSAGE_SCHEMAS[schemaKey(type)] ?? { schema: messageSchema };
  const r = lenient(entry.schema, message, ['type', ...(entry.essential ?? [])]);
  return r.ok
    ? { ok: true, type, message: r.data as VapiMessage, problems: cap(r.problems) }
    : { ok: false, type, problems: cap(r.problems) };
}

/** `transcript[transcriptType="final"]` is a transcript message too. */
function schemaKey(type: string): string {
  return type.startsWith('transcript[') ? 'transcript' : type;
}

function lenient(
  schema: z.ZodType,
  value: Record<string, unknown>,
  essential: readonly string[],
): { ok: boolean; data?: unknown; problems: string[] } {
  const problems: string[] = [];
  let current: unknown = value;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const r = schema.safeParse(current);
    if (r.success) return { ok: true, data: r.data, problems };
    const fatal: string[] = [];
    const targets: Path[] = [];
    for (const issue of r.error.issues) {
      const path = issue.path.map((k) => (typeof k === 'number' ? k : String(k)));
      // A required field that is missing takes its parent with it (an artifact message without a role).
      const target = getAt(current, path) === undefined && path.length > 0 ? path.slice(0, -1) : path;
      const text = `message${path.length ? '.' : ''}${path.join('.')}: ${issue.message}`;
      if (target.length === 0 || (target.length === 1 && essential.includes(String(target[0])))) {
        fatal.push(text);
      } else {
        targets.push(target);
        problems.push(`${text} (ignored)`);
      }
    }
    if (fatal.length) return { ok: false, problems: fatal };
    for (const target of outermost(targets)) current = removeAt(current, target);
  }
  return { ok: false, problems: [...problems, 'message: too many invalid fields'] };
}

/** Targets that are not inside another target, deepest array indices first (so splices do not shift others). */
function outermost(targets: Path[]): Path[] {
  const unique = [...new Map(targets.map((t) => [JSON.stringify(t), t])).values()];
  return unique
    .filter((t) => !unique.some((o) => o.length < t.length && isPrefix(o, t)))
    .sort((a, b) => comparePaths(b, a));
}

function comparePaths(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((k, i) => k === path[i]);
}

function getAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const k of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[k];
  }
  return node;
}

/** A copy of `root` without the node at `path`; containers along the path are copied, the rest shared. */
function removeAt(root: unknown, path: Path): unknown {
  if (root === null || typeof root !== 'object' || path.length === 0) return root;
  const [head, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(root)) {
    const copy = [...root];
    if (typeof head !== 'number' || head >= copy.length) return root;
    if (rest.length === 0) copy.splice(head, 1);
    else copy[head] = removeAt(copy[head], rest);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(root as Record<string, unknown>) };
  if (rest.length === 0) delete copy[head];
  else copy[head] = removeAt(copy[head], rest);
  return copy;
}

function cap(problems: string[]): string[] {
  return problems.length <= MAX_PROBLEMS
    ? problems
    : [...problems.slice(0, MAX_PROBLEMS), `…and ${problems.length - MAX_PROBLEMS} more`];
}

/** A plain object (not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * Reading the arguments of the functions an agent calls during a call (`startConversation`,
 * `setAttributes`, `end`): field by field, each read guarded (a proxy or a getter may throw) and checked
 * with its schema. A field that cannot be used is left out and named in `problems`; nothing throws.
 */
import { z } from 'zod';
import { attributesSchema } from './events.js';
import { outcomeSchema } from './records.js';

/** What the fields of an options object may hold. */
type Shape = Record<string, z.ZodType>;

/** The usable fields of `input`, and what was wrong with the others. */
export interface ReadResult<S extends Shape> {
  value: { [K in keyof S]?: z.infer<S[K]> };
  problems: string[];
}

/**
 * Reads the fields of `shape` from `input` (an options object, or `undefined` for none). A field that
 * is missing is `undefined`; one that is unreadable or invalid is `undefined` and a problem.
 */
export function readOptions<S extends Shape>(input: unknown, shape: S): ReadResult<S> {
  const value: Record<string, unknown> = {};
  const problems: string[] = [];
  if (input === undefined) return { value: value as ReadResult<S>['value'], problems };
  if (typeof input !== 'object' || input === null) {
    problems.push(`options must be an object, got ${input === null ? 'null' : typeof input}`);
    return { value: value as ReadResult<S>['value'], problems };
  }
  for (const key of Object.keys(shape)) {
    let field: unknown;
    try {
      field = (input as Record<string, unknown>)[key];
      if (field === undefined) continue;
      const parsed = shape[key]!.safeParse(field);
      if (parsed.success) value[key] = parsed.data;
      else problems.push(`${key}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    } catch {
      problems.push(`${key}: unreadable`);
    }
  }
  return { value: value as ReadResult<S>['value'], problems };
}

/** Reads span attributes: a record of strings, finite numbers and booleans. */
export function readAttributes(input: unknown): ReadResult<{ attributes: typeof attributesSchema }> {
  return readOptions({ attributes: input }, { attributes: attributesSchema });
}

/** The options of `startConversation`. */
export const startOptionsShape = {
  id: z.string().min(1).max(1024),
  platform: z.string().min(1).max(200),
  startedAt: z.number().finite().nonnegative(),
  attributes: attributesSchema,
  turnContinuation: z.enum(['until_agent_audio', 'until_agent_speech']),
};

/** The options of `end()`. */
export const endOptionsShape = {
  outcome: outcomeSchema,
  taskCompleted: z.boolean().nullable(),
  endedAt: z.number().finite().nonnegative(),
  attributes: attributesSchema,
};

const fn = (what: string) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `${what} must be a function`);
const positive = z.number().finite().positive();
const count = z.number().int().positive();

/**
 * The scalar options of `createVoxtrace`, checked at construction (the monitor, metrics and thresholds
 * options are checked where they are used). Unknown keys pass.
 */
export const voxtraceOptionsShape = z.looseObject({
  serviceName: z.string().min(1).optional(),
  // a mode or `ContentOptions`, checked with clear messages by `ContentPolicy`
  content: z.unknown().optional(),
  deriveTraceId: z.boolean().optional(),
  now: fn('now').optional(),
  idleTimeoutMs: positive.optional(),
  lateGraceMs: z.number().finite().nonnegative().optional(),
  maxConversations: count.optional(),
  maxQueuedSpansPerConversation: count.optional(),
  flushTimeoutMs: z.number().finite().nonnegative().optional(),
  batch: z.looseObject({}).optional(),
  sinks: z
    .array(
      z.custom<object>(
        (v) => typeof (v as { startConversation?: unknown } | null)?.startConversation === 'function',
        'a sink needs a startConversation method',
      ),
    )
    .optional(),
  spanProcessors: z.array(z.looseObject({})).optional(),
  onDiagnostic: fn('onDiagnostic').optional(),
  onIncident: fn('onIncident').optional(),
});

/**
 * Checks the arguments of a factory that takes a voxtrace instance and options: a mistake is a clear
 * `TypeError` at setup, never a failure later during a call.
 */
export function checkFactoryArguments(factory: string, vt: unknown, options: unknown): void {
  const v = vt as { startConversation?: unknown; diagnose?: unknown } | null;
  if (typeof v?.startConversation !== 'function' || typeof v.diagnose !== 'function')
    throw new TypeError(`${factory}: the voxtrace argument must be what createVoxtrace() returns`);
  if (options !== undefined && (typeof options !== 'object' || options === null))
    throw new TypeError(
      `${factory}: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
}

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

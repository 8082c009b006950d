/**
 * The limits every HTTP intake of voxtrace applies to a request body: its size, the time it may take to
 * arrive (including the wait for a read slot) and how many bodies one handler reads at once.
 */
import { z } from 'zod';

/**
 * A body not received within this many ms of the handler asking for it is answered 408 (or 503 if queued):
 * 9 s, so that with timers and scheduling a slow body is answered within 10 s of arriving.
 */
export const DEFAULT_BODY_TIMEOUT_MS = 9_000;
/** Bodies one handler reads at once; the memory they hold is at most this many times `maxBodyBytes`. */
export const DEFAULT_MAX_CONCURRENT_BODIES = 8;
/** Requests waiting for a read slot (nothing of their body read); beyond this they are answered 503. */
export const DEFAULT_MAX_QUEUED_BODIES = 256;

const positiveInt = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** Intake options, as the webhook handlers and the dev viewer accept them (all optional). */
export const intakeOptionsSchema = z.object({
  /** Largest body accepted, in bytes (after decompression too, where the intake decompresses). */
  maxBodyBytes: positiveInt.optional(),
  /** Time a body may take to arrive, from the handler asking for it, in ms. Default 9 000. */
  bodyTimeoutMs: positiveInt.optional(),
  /** Bodies read at once. Default {@link DEFAULT_MAX_CONCURRENT_BODIES}. */
  maxConcurrentBodies: positiveInt.optional(),
  /** Requests that may wait for a read slot. Default {@link DEFAULT_MAX_QUEUED_BODIES}; 0 refuses at once. */
  maxQueuedBodies: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
});

/** Options of an intake: body size, time and concurrency caps. */
export type IntakeOptions = z.infer<typeof intakeOptionsSchema>;

/** The limits in force, defaults applied. */
export type IntakeLimits = Required<IntakeOptions>;

/**
 * Validates intake options and applies the defaults. Throws a `TypeError` naming `owner` and the option
 * (a configuration mistake fails at construction, never per request).
 */
export function resolveIntakeLimits(
  options: IntakeOptions,
  defaults: { maxBodyBytes: number },
  owner: string,
): IntakeLimits {
  const picked = {
    maxBodyBytes: options.maxBodyBytes,
    bodyTimeoutMs: options.bodyTimeoutMs,
    maxConcurrentBodies: options.maxConcurrentBodies,
    maxQueuedBodies: options.maxQueuedBodies,
  };
  const parsed = intakeOptionsSchema.safeParse(picked);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TypeError(`${owner}: ${issue.path.join('.')}: ${issue.message}`);
  }
  return {
    maxBodyBytes: parsed.data.maxBodyBytes ?? defaults.maxBodyBytes,
    bodyTimeoutMs: parsed.data.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    maxConcurrentBodies: parsed.data.maxConcurrentBodies ?? DEFAULT_MAX_CONCURRENT_BODIES,
    maxQueuedBodies: parsed.data.maxQueuedBodies ?? DEFAULT_MAX_QUEUED_BODIES,
  };
}

/**
 * Trace ids derived from conversation ids, so that two processes that see the same call (a live
 * stream, then a post-call webhook) put their spans in one trace.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type IdGenerator, RandomIdGenerator } from '@opentelemetry/sdk-trace-base';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const ZERO_TRACE = '0'.repeat(32);

/**
 * The trace id of a conversation: the UUID itself when the id is one (so a Vapi or Retell call id
 * finds its trace directly), else the first 128 bits of SHA-256 of the id.
 */
export function traceIdForConversation(conversationId: string): string {
  if (UUID.test(conversationId)) {
    const hex = conversationId.replace(/-/g, '').toLowerCase();
    if (hex !== ZERO_TRACE) return hex;
  }
  return createHash('sha256').update(`voxtrace:${conversationId}`).digest('hex').slice(0, 32);
}

/** A span id derived from the conversation id (the virtual parent on shared providers). */
export function rootSpanIdForConversation(conversationId: string): string {
  return createHash('sha256').update(`voxtrace-root:${conversationId}`).digest('hex').slice(0, 16);
}

/** A random trace id. */
export function randomTraceId(): string {
  return randomBytes(16).toString('hex');
}

/**
 * An `IdGenerator` that hands out a chosen trace id for the next root span, then random ids.
 * Used on voxtrace's own provider so that a conversation span is a true root with a derived id.
 */
export class DerivedIdGenerator implements IdGenerator {
  private next: string | undefined;
  private readonly random = new RandomIdGenerator();

  /** Runs `fn` with `traceId` as the trace id of any root span it starts. */
  withTraceId<T>(traceId: string, fn: () => T): T {
    this.next = traceId;
    try {
      return fn();
    } finally {
      this.next = undefined;
    }
  }

  generateTraceId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}

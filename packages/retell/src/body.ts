/** Reading a request body with a size cap enforced while reading, not after. */

/** Default largest webhook body: a long call's `call_analyzed` carries every word twice or three times. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** The body, or `null` when it exceeded `maxBytes` (reading stopped there). */
export async function readCapped(
  next: () => Promise<IteratorResult<unknown>>,
  maxBytes: number,
): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const r = await next();
    if (r.done) break;
    const chunk = toBytes(r.value);
    total += chunk.byteLength;
    if (total > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`unexpected body chunk: ${typeof value}`);
}

/** Iterates a web `ReadableStream`; stopping early cancels it. */
export function webBody(stream: ReadableStream<Uint8Array> | null): {
  next: () => Promise<IteratorResult<unknown>>;
  stop: () => void;
} {
  if (!stream) return { next: async () => ({ done: true, value: undefined }), stop: () => {} };
  const reader = stream.getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<unknown>>,
    stop: () => void reader.cancel().catch(() => {}),
  };
}

/**
 * Iterates a Node stream without ever calling `return()`: leaving a `for await` over an
 * `IncomingMessage` early destroys its socket, and the 413 could not be sent.
 */
export function nodeBody(stream: AsyncIterable<unknown>): () => Promise<IteratorResult<unknown>> {
  const it = stream[Symbol.asyncIterator]();
  return () => it.next();
}

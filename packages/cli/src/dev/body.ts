/**
 * Request bodies with a size cap enforced while reading, before and after decompression, so an
 * oversize or zip-bomb body costs at most the cap in memory.
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCb } from 'node:zlib';

const gunzip = promisify(gunzipCb);

/** The body is larger than the cap (raw or decompressed): answer 413. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`body larger than ${limitBytes} bytes`);
  }
}

/** The body cannot be read as sent (bad gzip data, unknown encoding): answer 400 or 415. */
export class BodyEncodingError extends Error {
  override readonly name = 'BodyEncodingError';
  constructor(
    message: string,
    readonly status: 400 | 415,
  ) {
    super(message);
  }
}

/** Reads a request's body, stopping at `limitBytes`, and undoes a `gzip` content encoding. */
export async function readBody(request: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length'));
  if (declared > limitBytes) throw new BodyTooLargeError(limitBytes);
  const raw = await readCapped(request, limitBytes);
  const encoding = (request.headers.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return raw;
  if (encoding !== 'gzip' && encoding !== 'x-gzip')
    throw new BodyEncodingError(`unsupported content-encoding "${encoding}" (gzip or none)`, 415);
  try {
    return await gunzip(raw, { maxOutputLength: limitBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new BodyTooLargeError(limitBytes);
    throw new BodyEncodingError(`invalid gzip body: ${(err as Error).message}`, 400);
  }
}

async function readCapped(request: Request, limitBytes: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limitBytes) {
      reader.releaseLock();
      throw new BodyTooLargeError(limitBytes);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

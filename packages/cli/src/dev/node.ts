/**
 * A thin Node `http` adapter for a web-standard handler. It buffers the request body up to the
 * handler's cap (answering 413 itself beyond it, and discarding the rest of the upload up to a bound
 * so the client reads the answer), then hands a `Request` over and writes the `Response` back.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A web-standard handler and the largest body it accepts. */
export interface FetchHandler {
  fetch(request: Request): Promise<Response>;
  readonly maxBodyBytes: number;
}

/** Discarding an oversize upload stops (and the connection closes) past this many times the cap. */
const DRAIN_FACTOR = 8;

/** Returns a `http.createServer` listener that serves `app`. */
export function nodeListener(app: FetchHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(app, req, res).catch((err: unknown) => {
      // The handler never throws; this covers a broken socket while writing.
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${String(err)}\n`);
    });
  };
}

async function serve(app: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  let body: Buffer | undefined;
  if (hasBody) {
    const read = await readLimited(req, app.maxBodyBytes);
    if (read === 'too-large') {
      tooLarge(req, res, app.maxBodyBytes);
      return;
    }
    body = read;
  }
  let request: Request;
  try {
    request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method,
      headers: headersOf(req),
      body: hasBody
        ? new Uint8Array(body!.buffer as ArrayBuffer, body!.byteOffset, body!.byteLength)
        : undefined,
    });
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad request: ${(err as Error).message}\n`);
    return;
  }
  const response = await app.fetch(request);
  const headers: Record<string, string> = {};
  response.headers.forEach((v, k) => {
    headers[k] = v;
  });
  res.writeHead(response.status, headers);
  if (method === 'HEAD' || !response.body) {
    res.end();
    return;
  }
  res.end(Buffer.from(await response.arrayBuffer()));
}

/** Reads the body, or stops at `limit` bytes (without buffering more). */
function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > limit) {
      resolve('too-large');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
    // A client that goes away mid-upload: nothing to answer (a no-op if the body was read).
    req.on('close', () => reject(new Error('request aborted')));
  });
}

/** Answers 413, then discards what the client still uploads, up to a bound, so it can read the answer. */
function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  let drained = 0;
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > DRAIN_FACTOR * limit) {
      req.off('data', onData);
      req.socket.destroy();
    }
  };
  req.on('data', onData);
  req.resume();
  const body = JSON.stringify({ code: 3, message: `body larger than ${limit} bytes` });
  res
    .writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    .end(body);
}

function headersOf(req: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === 'host' || k.startsWith(':')) continue;
    if (Array.isArray(v)) for (const x of v) h.append(k, x);
    else h.set(k, v);
  }
  return h;
}

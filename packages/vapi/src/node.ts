/**
 * Thin adapters from the web-standard handler to Node's `http` server and to Express (typed structurally:
 * Express is not a dependency; its `req`/`res` are Node's). The body stays a stream until the handler reads
 * it under its cap, so HMAC checks see the raw bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A web-standard request handler, as {@link createVapiWebhookHandler} returns. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** A Node request, possibly with a body an Express body parser already read. */
export type NodeRequest = IncomingMessage & { body?: unknown; originalUrl?: string };

/** Converts a web handler to a Node `http` request listener: `http.createServer(toNodeHandler(handler))`. */
export function toNodeHandler(handler: FetchHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    serve(handler, req, res).catch(() => res.destroy());
  };
}

/**
 * Converts a web handler to Express middleware: `app.post('/vapi', toExpressMiddleware(handler))`. Mount it
 * before `express.json()`, or behind `express.raw({ type: '*\/*' })`: a body another parser turned into an
 * object is re-serialized, which an HMAC signature will not match.
 */
export function toExpressMiddleware(
  handler: FetchHandler,
): (req: NodeRequest, res: ServerResponse, next: (err?: unknown) => void) => void {
  return (req, res, next) => {
    serve(handler, req, res).catch(next);
  };
}

async function serve(handler: FetchHandler, req: NodeRequest, res: ServerResponse): Promise<void> {
  let response: Response;
  try {
    response = await handler(toRequest(req));
  } catch {
    response = new Response(JSON.stringify({ error: 'bad request' }), {
      status: 400,
      headers: { 'content-type': 'application/json' },
    });
  }
  if (res.headersSent) return;
  const body = Buffer.from(await response.arrayBuffer());
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    res.setHeader(key, value);
  });
  // Answered before the body was all read (a 413): close rather than read the rest of it.
  if (!req.complete) res.setHeader('connection', 'close');
  res.end(body);
}

/**
 * The request body as a web stream with backpressure. Cancelling it (the handler refusing an oversize body)
 * discards the rest instead of destroying the socket, so the answer still reaches the client.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (done) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => {
        if (!done) controller.close();
        done = true;
      });
      req.once('error', (err) => {
        if (!done) controller.error(err);
        done = true;
      });
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      done = true;
      req.resume();
    },
  });
}

/** A web `Request` over a Node request; the body is streamed, not buffered. */
export function toRequest(req: NodeRequest): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const parsed = req.body;
    if (Buffer.isBuffer(parsed) || typeof parsed === 'string') {
      init.body = typeof parsed === 'string' ? parsed : new Uint8Array(parsed);
      headers.delete('content-length');
    } else if (parsed !== undefined && parsed !== null && typeof parsed === 'object' && req.readableEnded) {
      init.body = JSON.stringify(parsed);
      headers.delete('content-length');
    } else {
      init.body = bodyStream(req);
      init.duplex = 'half';
    }
  }
  return new Request(requestUrl(req), init);
}

function requestUrl(req: NodeRequest): string {
  const path = req.originalUrl ?? req.url ?? '/';
  try {
    return new URL(path, `http://${req.headers.host ?? 'localhost'}`).href;
  } catch {
    return new URL(path.startsWith('/') ? path : '/', 'http://localhost').href;
  }
}

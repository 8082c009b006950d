/**
 * One bridge from a web-standard handler, `(Request) => Promise<Response>`, to Node's `http` server and to
 * Express (typed structurally: Express is not a dependency; its `req`/`res` are Node's).
 *
 * The body stays a stream, read only when the handler reads it, with backpressure: a handler that answers
 * from the headers (a 401) or stops early (a 413, a 408) has read nothing more. Then the answer is sent with
 * `Connection: close` and the socket is destroyed once it is written, so a client still uploading cannot
 * make the server read (or Node discard) the rest of its body. The price: such a client may get a TCP reset
 * before it has read the answer (closing with unread data resets the connection, and Node's HTTP server
 * reads on until the socket is destroyed, so no half-open linger is possible here). A body that arrived whole
 * (any ordinary webhook) is always answered normally, connection kept alive.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A web-standard request handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** A Node request, possibly with a body an Express body parser already read (`req.body`). */
export type NodeRequest = IncomingMessage & { body?: unknown; originalUrl?: string };

/** Converts a handler to a Node `http` request listener: `http.createServer(toNodeHandler(handler))`. */
export function toNodeHandler(handler: FetchHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serveNode(handler, req, res);
  };
}

/**
 * Converts a handler to Express middleware: `app.post('/path', toExpressMiddleware(handler))`. Mount it
 * before `express.json()`, or behind `express.raw({ type: '*\/*' })`: a body another parser turned into an
 * object is re-serialized, which a signature over the raw bytes will not match.
 */
export function toExpressMiddleware(
  handler: FetchHandler,
): (req: NodeRequest, res: ServerResponse, next: (err?: unknown) => void) => void {
  return (req, res) => {
    void serveNode(handler, req, res);
  };
}

/** Serves one request with `handler`. Never rejects: a handler that throws is answered 500. */
export async function serveNode(handler: FetchHandler, req: NodeRequest, res: ServerResponse): Promise<void> {
  try {
    let response: Response;
    let request: Request | null = null;
    try {
      request = toRequest(req);
    } catch (err) {
      response = plain(400, `bad request: ${String(err)}`);
    }
    if (request) {
      try {
        response = await handler(request);
      } catch (err) {
        response = plain(500, `internal error: ${String(err)}`);
      }
    }
    await send(req, res, response!);
  } catch {
    // The client went away while we answered: nothing left to do but free the socket.
    req.socket?.destroy();
  }
}

async function send(req: NodeRequest, res: ServerResponse, response: Response): Promise<void> {
  if (res.headersSent || res.destroyed) return;
  const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
  if (res.headersSent || res.destroyed) return;
  res.statusCode = response.status;
  response.headers.forEach((value, key) => {
    res.setHeader(key, value);
  });
  if (!req.complete) {
    // Answered before the body was all received (401 from the headers, 413, 408): read no more of it.
    res.setHeader('connection', 'close');
    res.once('finish', () => req.socket?.destroy());
  }
  res.end(body);
}

/**
 * The request body as a web stream with backpressure: the socket is read only while the handler pulls.
 * Cancelling it (the handler refusing the body) pauses the request for good; {@link send} closes it.
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) => {
        if (settled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.once('end', () => {
        if (!settled) controller.close();
        settled = true;
      });
      req.once('error', (err) => {
        if (!settled) controller.error(err);
        settled = true;
      });
      req.once('close', () => {
        // The client went away before the end of the body.
        if (!settled) controller.error(new Error('request aborted before the end of the body'));
        settled = true;
      });
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      settled = true;
      req.pause();
    },
  });
}

/** A web `Request` over a Node request; the body is streamed, not buffered. */
export function toRequest(req: NodeRequest): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (key.startsWith(':')) continue; // HTTP/2 pseudo-headers
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  const method = req.method ?? 'GET';
  const init: RequestInit & { duplex?: 'half' } = { method, headers };
  if (method !== 'GET' && method !== 'HEAD') {
    const parsed = req.body;
    if (Buffer.isBuffer(parsed) || parsed instanceof Uint8Array || typeof parsed === 'string') {
      // A body parser (express.raw, express.text) already read it.
      init.body = typeof parsed === 'string' ? parsed : new Uint8Array(parsed);
      headers.delete('content-encoding');
      headers.set(
        'content-length',
        String(typeof parsed === 'string' ? Buffer.byteLength(parsed) : parsed.byteLength),
      );
    } else if (parsed !== undefined && parsed !== null && typeof parsed === 'object' && req.readableEnded) {
      init.body = JSON.stringify(parsed);
      headers.delete('content-encoding');
      headers.delete('content-length');
    } else {
      init.body = bodyStream(req);
      init.duplex = 'half';
    }
  }
  return new Request(requestUrl(req), init);
}

/** The request URL from `Host` and the path; a `Host` that is not a host name gives `http://invalid/…`. */
function requestUrl(req: NodeRequest): string {
  const path = req.originalUrl ?? req.url ?? '/';
  const safePath = path.startsWith('/') ? path : '/';
  try {
    return new URL(safePath, `http://${req.headers.host ?? 'localhost'}`).href;
  } catch {
    return new URL(safePath, 'http://invalid').href;
  }
}

function plain(status: number, text: string): Response {
  return new Response(`${text.slice(0, 300)}\n`, {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  });
}

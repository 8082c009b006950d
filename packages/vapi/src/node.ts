/**
 * Thin adapters from the web-standard handler to Node's `http` server and to Express (typed structurally:
 * Express is not a dependency; its `req`/`res` are Node's). The body stays a stream until the handler reads
 * it under its cap, so HMAC checks see the raw bytes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

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
  res.end(body);
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
      init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>;
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

/**
 * A raw HTTP/1.1 client over a TCP socket on 127.0.0.1, for attacks a well-behaved client cannot make:
 * bodies that trickle a byte at a time, that keep uploading after the answer, that lie about their length.
 */
import { connect } from 'node:net';

/** How the body is sent. */
export interface RawBody {
  /** Bytes to send in all. */
  total: number;
  /** Bytes per write. Default 64 KiB. */
  chunkBytes?: number;
  /** Wait between writes (a slow body); 0 writes as fast as the socket takes them. Default 0. */
  intervalMs?: number;
  /** Send with `Transfer-Encoding: chunked` instead of `Content-Length`. */
  chunked?: boolean;
  /** Declared `Content-Length` (default `total`); ignored when chunked. */
  declared?: number;
}

export interface RawRequest {
  port: number;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: RawBody;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** From the first byte written to the whole answer read. */
  elapsedMs: number;
  /** Body bytes this client managed to write before the answer. */
  sentBytes: number;
  /** Resolves with the ms (from the start) at which the server closed the connection. */
  closed: Promise<number>;
}

const FILL = Buffer.alloc(64 * 1024, 0x78);

/** Sends one request; resolves with the answer (status 0 if the connection closed without one). */
export function rawRequest(r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(r.port, '127.0.0.1');
    let sent = 0;
    let done = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    let received = Buffer.alloc(0);
    let resolveClosed!: (ms: number) => void;
    const closed = new Promise<number>((ok) => {
      resolveClosed = ok;
    });
    const finish = (res: Omit<RawResponse, 'elapsedMs' | 'sentBytes' | 'closed'>) => {
      if (done) return;
      done = true;
      resolve({ ...res, elapsedMs: performance.now() - started, sentBytes: sent, closed });
    };
    socket.on('error', () => {});
    socket.on('close', () => {
      if (timer) clearInterval(timer);
      resolveClosed(performance.now() - started);
      finish(parse(received) ?? { status: 0, headers: {}, body: '' });
    });
    socket.on('data', (data: Buffer) => {
      received = Buffer.concat([received, data]);
      const res = parse(received);
      if (res) finish(res);
    });
    socket.once('connect', () => {
      const body = r.body;
      const headers: Record<string, string> = { host: `127.0.0.1:${r.port}`, ...r.headers };
      if (body) {
        if (body.chunked) headers['transfer-encoding'] = 'chunked';
        else headers['content-length'] = String(body.declared ?? body.total);
      }
      const head =
        `${r.method ?? 'POST'} ${r.path ?? '/'} HTTP/1.1\r\n` +
        Object.entries(headers)
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('') +
        '\r\n';
      socket.write(head);
      if (!body) return;
      const size = body.chunkBytes ?? FILL.byteLength;
      const piece = (): Buffer | null => {
        if (sent >= body.total || socket.destroyed) return null;
        const n = Math.min(size, body.total - sent);
        sent += n;
        const data = n <= FILL.byteLength ? FILL.subarray(0, n) : Buffer.alloc(n, 0x78);
        const last = sent >= body.total;
        if (!body.chunked) return data;
        return Buffer.concat([
          Buffer.from(`${n.toString(16)}\r\n`),
          data,
          Buffer.from(last ? '\r\n0\r\n\r\n' : '\r\n'),
        ]);
      };
      if (body.intervalMs) {
        timer = setInterval(() => {
          const p = piece();
          if (!p) return clearInterval(timer);
          socket.write(p);
        }, body.intervalMs);
        return;
      }
      const pump = () => {
        for (let p = piece(); p; p = piece()) if (!socket.write(p)) return void socket.once('drain', pump);
      };
      pump();
    });
  });
}

/** A complete response in `data`, or `null` while it is still arriving. */
function parse(data: Buffer): Omit<RawResponse, 'elapsedMs' | 'sentBytes' | 'closed'> | null {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  const body = data.subarray(end + 4);
  if (body.byteLength < length) return null;
  return {
    status: Number(statusLine!.split(' ')[1]),
    headers,
    body: body.subarray(0, length).toString('utf8'),
  };
}

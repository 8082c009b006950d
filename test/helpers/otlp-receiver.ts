/**
 * A minimal OTLP/HTTP JSON traces receiver on 127.0.0.1 for tests: decodes each request into flat
 * spans (hex ids, ms times, plain attribute values). `status` lets a test make it fail, `hang` makes
 * it read requests and never answer, and `port` restarts a collector where a stopped one was.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  startMs: number;
  endMs: number;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
  events: { name: string; attributes: Record<string, unknown> }[];
  resource: Record<string, unknown>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};

function value(v: AnyValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attrs = (list: { key: string; value: AnyValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  requests: number;
  /** HTTP status to answer with (default 200). */
  status: number;
  headers: Record<string, string>;
  /** Read each request and never answer it. */
  hang: boolean;
  /** Requests read and not answered (in `hang` mode). */
  readonly hanging: number;
  port: number;
  close(): Promise<void>;
}

export async function startOtlpReceiver(options: { port?: number } = {}): Promise<OtlpReceiver> {
  const state = {
    spans: [] as ReceivedSpan[],
    requests: 0,
    status: 200,
    headers: {} as Record<string, string>,
    hang: false,
    hanging: 0,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      if (state.hang) {
        state.hanging++;
        res.on('close', () => state.hanging--);
        return;
      }
      if (state.status !== 200) {
        res.writeHead(state.status, state.headers).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const rs of body.resourceSpans ?? []) {
        const resource = attrs(rs.resource?.attributes);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            state.spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId || undefined,
              name: s.name,
              startMs: Math.round(Number(BigInt(s.startTimeUnixNano) / 1000n) / 1000),
              endMs: Math.round(Number(BigInt(s.endTimeUnixNano) / 1000n) / 1000),
              attributes: attrs(s.attributes),
              status: s.status ?? {},
              events: (s.events ?? []).map((e: { name: string; attributes?: [] }) => ({
                name: e.name,
                attributes: attrs(e.attributes),
              })),
              resource,
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/v1/traces`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hanging requests and idle keep-alive sockets would hold close() open.
        server.closeAllConnections();
      }),
  }) as OtlpReceiver;
}

/** A port on 127.0.0.1 with nothing listening (connections are refused). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * voxtrace's OTLP/HTTP (JSON) span exporter: OpenTelemetry's configuration (the `OTEL_EXPORTER_OTLP_*`
 * variables), serializer and export delegate, over a transport of ours that can be abandoned.
 *
 * OpenTelemetry's own HTTP transport waits between retries on timers nobody can cancel: with the
 * collector refusing, answering 503 or hanging, a process stayed alive about 30 s after `shutdown()`
 * resolved, past a SIGTERM grace period. This transport keeps the same retry policy (up to 5 retries
 * of 429/502/503/504 and network errors, back-off from 1 s ×1.5 up to 5 s with ±20 % jitter,
 * `Retry-After` obeyed, never past the request's deadline), but its timers are unref'd, and
 * {@link OtlpHttpTransport.abandon} ends every request and every wait at once (each counts as a failed
 * export) and destroys the sockets, so nothing of the export keeps the process alive.
 */
import type { Agent as HttpAgent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import http from 'node:http';
import https from 'node:https';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import {
  createOtlpNetworkExportDelegate,
  type ExportResponse,
  type IExporterTransport,
  OTLPExporterBase,
} from '@opentelemetry/otlp-exporter-base';
import {
  convertLegacyHttpOptions,
  createOtlpHttpExporterMetrics,
} from '@opentelemetry/otlp-exporter-base/node-http';
import { JsonTraceSerializer, TraceExporterMetricsHelper } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

const gzip = promisify(gzipCb);

/** Retries after the first attempt, at most. */
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_FACTOR = 1.5;
const JITTER = 0.2;
/** Bytes of a collector's answer read at most (an OTLP response is a few bytes; an error page more). */
const MAX_RESPONSE_BYTES = 64 * 1024;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** Where and how the transport sends: the OpenTelemetry exporter configuration's fields it needs. */
export interface OtlpHttpTransportOptions {
  url: string;
  headers: () => Promise<Record<string, string>> | Record<string, string>;
  compression?: 'gzip' | 'none';
  userAgent?: string;
}

/** An OTLP/HTTP transport whose requests and retry waits can all be abandoned at once. See the module comment. */
export class OtlpHttpTransport implements IExporterTransport {
  /** Sends cut short by {@link abandon} (a request in flight or a wait before a retry), or refused after it. */
  abandoned = 0;
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly request: typeof http.request;
  /** What {@link abandon} must stop: one entry per request in flight or retry wait. */
  private readonly pending = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: OtlpHttpTransportOptions) {
    this.url = new URL(options.url);
    const secure = this.url.protocol === 'https:';
    this.request = secure ? https.request : http.request;
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  async send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    if (this.closed) return this.refused();
    const deadline = Date.now() + timeoutMillis;
    let result = await this.attempt(data, timeoutMillis);
    let backoff = INITIAL_BACKOFF_MS;
    for (let retry = 0; result.status === 'retryable' && retry < MAX_RETRIES; retry++) {
      const jittered = Math.min(backoff, MAX_BACKOFF_MS) * (1 + (Math.random() * 2 - 1) * JITTER);
      backoff *= BACKOFF_FACTOR;
      const wait = result.retryInMillis ?? jittered;
      // A retry that could not start before the deadline is not tried: the last answer stands.
      if (wait > deadline - Date.now()) break;
      if (!(await this.sleep(wait))) return this.refused();
      result = await this.attempt(data, deadline - Date.now());
    }
    return result;
  }

  /** Nothing to release on a normal shutdown: idle keep-alive sockets are unref'd by the agent. */
  shutdown(): void {}

  /**
   * Ends every request in flight and every wait before a retry (each resolves as a failed export),
   * refuses later sends, and destroys the sockets. Idempotent.
   */
  abandon(): void {
    this.closed = true;
    for (const stop of [...this.pending]) stop();
    this.agent.destroy();
  }

  private refused(): ExportResponse {
    this.abandoned++;
    return { status: 'failure', error: new Error('export abandoned: voxtrace was shut down') };
  }

  /** Waits `ms` on an unref'd timer; `false` when abandoned meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const stop = () => {
        clearTimeout(timer);
        this.pending.delete(stop);
        resolve(false);
      };
      const timer = setTimeout(
        () => {
          this.pending.delete(stop);
          resolve(true);
        },
        Math.max(0, ms),
      );
      timer.unref();
      this.pending.add(stop);
    });
  }

  /** One POST; never rejects. */
  private async attempt(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    let body: Uint8Array;
    let headers: Record<string, string>;
    try {
      headers = { ...(await this.options.headers()) };
      body = this.options.compression === 'gzip' ? await gzip(data) : data;
    } catch (error) {
      return { status: 'failure', error: error as Error };
    }
    if (this.closed) return this.refused();
    if (this.options.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = String(body.byteLength);
    const agentName = 'voxtrace OTel-OTLP-Exporter-JavaScript';
    headers['User-Agent'] = this.options.userAgent ? `${this.options.userAgent} ${agentName}` : agentName;
    const options: RequestOptions = { method: 'POST', headers, agent: this.agent };
    return new Promise<ExportResponse>((resolve) => {
      let req: ClientRequest | undefined;
      const finish = (result: ExportResponse) => {
        if (!this.pending.delete(stop)) return;
        clearTimeout(timer);
        resolve(result);
      };
      const stop = () => {
        finish(this.refused());
        req?.destroy();
      };
      this.pending.add(stop);
      const timer = setTimeout(() => {
        finish({ status: 'retryable', error: new Error(`no answer within ${timeoutMillis} ms`) });
        req?.destroy();
      }, timeoutMillis);
      timer.unref();
      try {
        req = this.request(this.url, options, (res) => readResponse(res, finish));
        req.on('error', (error: NodeJS.ErrnoException) =>
          finish({ status: RETRYABLE_NETWORK.has(error.code ?? '') ? 'retryable' : 'failure', error }),
        );
        req.end(body);
      } catch (error) {
        finish({ status: 'failure', error: error as Error });
      }
    });
  }
}

/** Reads a collector's answer (capped) and classifies it as OTLP/HTTP says. */
function readResponse(res: IncomingMessage, finish: (r: ExportResponse) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const status = res.statusCode ?? 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      res.destroy();
      return;
    }
    chunks.push(chunk);
  });
  res.on('error', (error) => finish({ status: 'failure', error }));
  res.on('close', () => {
    // An oversized answer was cut: only its status counts.
    const data = size > MAX_RESPONSE_BYTES ? undefined : Buffer.concat(chunks);
    if (status >= 200 && status < 300) finish({ status: 'success', data });
    else if (RETRYABLE_STATUS.has(status))
      finish({
        status: 'retryable',
        retryInMillis: retryAfterMs(res.headers['retry-after']),
        error: new Error(`collector answered ${status}`),
      });
    else
      finish({
        status: 'failure',
        error: new Error(
          `collector answered ${status}${data?.length ? `: ${data.toString('utf8', 0, 200)}` : ''}`,
        ),
      });
  });
}

/** `Retry-After` in seconds or as an HTTP date, in ms from now; `undefined` when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What {@link createOtlpHttpExporter} returns: a span exporter and the transport to abandon. */
export interface OtlpHttpExporter {
  exporter: SpanExporter;
  transport: OtlpHttpTransport;
}

/** voxtrace's OTLP/HTTP JSON exporter; unset options come from the `OTEL_EXPORTER_OTLP_*` variables. */
export function createOtlpHttpExporter(options: {
  url?: string;
  headers?: Record<string, string>;
  timeoutMillis?: number;
}): OtlpHttpExporter {
  const config = convertLegacyHttpOptions(options, 'TRACES', 'v1/traces', {
    'Content-Type': 'application/json',
  });
  const transport = new OtlpHttpTransport({
    url: config.url,
    headers: config.headers,
    compression: config.compression,
    userAgent: config.userAgent,
  });
  const metrics = createOtlpHttpExporterMetrics<ReadableSpan[]>(
    'otlp_http_span_exporter',
    TraceExporterMetricsHelper,
    config.url,
    undefined,
  );
  const delegate = createOtlpNetworkExportDelegate(config, JsonTraceSerializer, metrics, transport);
  return { exporter: new OTLPExporterBase(delegate), transport };
}

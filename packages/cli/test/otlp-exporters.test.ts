/**
 * The receiver decodes exactly what the real OpenTelemetry exporters send: the JSON one inside
 * `createVoxtrace({ otlp: { url } })`, and the protobuf one (`@opentelemetry/exporter-trace-otlp-proto`)
 * on a provider voxtrace writes into, each with and without gzip. Ground truth is the SDK's own
 * spans, kept by a second processor on the same provider.
 */
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type DevServer, startDevServer } from '@voxtrace/cli';
import { CountingExporter, createVoxtrace, type TurnRecord, type Voxtrace } from '@voxtrace/core';
import { afterEach, describe, expect, it } from 'vitest';
import { healthyTurn, recordCall } from './helpers/calls.js';
import { bySpanId, expectedSpan, KeepSpans } from './helpers/spans.js';

const T0 = 1_763_700_000_000;
let server: DevServer | undefined;
const unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e));
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Runs `fn` with OTEL_EXPORTER_OTLP_COMPRESSION set (the exporters read it when constructed). */
function withCompression<T>(gzip: boolean, fn: () => T): T {
  const prev = process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
  if (gzip) process.env.OTEL_EXPORTER_OTLP_COMPRESSION = 'gzip';
  else delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
  try {
    return fn();
  } finally {
    if (prev === undefined) delete process.env.OTEL_EXPORTER_OTLP_COMPRESSION;
    else process.env.OTEL_EXPORTER_OTLP_COMPRESSION = prev;
  }
}

/** Two calls: four healthy turns, and one with a slow tool round-trip and a failed LLM call. */
function recordCalls(vt: Voxtrace, prefix: string): TurnRecord[] {
  const turns: TurnRecord[] = [];
  const off = vt.on('turn', (t) => turns.push(t));
  recordCall(vt, { id: `${prefix}-a`, startedAt: T0, turns: [0, 1, 2, 3].map((i) => healthyTurn(i)) });
  const b = recordCall(vt, {
    id: `${prefix}-b`,
    platform: 'pipecat',
    startedAt: T0 + 60_000,
    turns: [
      healthyTurn(0),
      healthyTurn(1, { ttftMs: 2600, tool: { name: 'lookup_booking', ms: 700 } }),
      healthyTurn(2, { llmError: 'rate limited' }),
    ],
    end: false,
  });
  b.conv.record({
    type: 'error',
    layer: 'tts',
    message: 'voice unavailable for a@b.example',
    at: b.endAt - 300,
  });
  b.conv.end({ outcome: 'transferred', endedAt: b.endAt });
  off();
  return turns;
}

async function expectViewerMatches(s: DevServer, truth: KeepSpans, turns: TurnRecord[]): Promise<void> {
  // Every span, attribute, event, status and time survived the wire.
  const traceIds = [...new Set(truth.spans.map((x) => x.spanContext().traceId))];
  expect(traceIds).toHaveLength(2);
  const received = traceIds.flatMap((id) => s.store.spans(id) ?? []);
  expect(received).toHaveLength(truth.spans.length);
  expect(bySpanId(received)).toEqual(bySpanId(truth.spans.map(expectedSpan)));
  expect(s.store.stats()).toMatchObject({ ignoredSpans: 0, duplicateSpans: 0, droppedSpans: 0 });

  // And the API rebuilds the calls: list newest first, each turn's wait, bottleneck and speech bounds.
  const list = (await (await fetch(`${s.endpoint}/api/conversations`)).json()) as {
    conversationId: string;
    traceId: string;
    turnCount: number;
    outcome: string;
    platform: string;
  }[];
  expect(list.map((c) => [c.conversationId.slice(-1), c.turnCount, c.outcome, c.platform])).toEqual([
    ['b', 3, 'transferred', 'pipecat'],
    ['a', 4, 'completed', 'livekit'],
  ]);
  for (const c of list) {
    const view = (await (await fetch(`${s.endpoint}/api/conversations/${c.traceId}`)).json()) as {
      turns: {
        index: number;
        e2eMs: number;
        bottleneck: { component: string } | null;
        userSpeechEndedAt: number;
        agentSpeechStartedAt: number;
      }[];
    };
    const records = turns.filter((t) => t.conversationId === c.conversationId);
    expect(
      view.turns.map((t) => [
        t.index,
        t.e2eMs,
        t.bottleneck?.component ?? null,
        t.userSpeechEndedAt,
        t.agentSpeechStartedAt,
      ]),
    ).toEqual(
      records.map((r) => [
        r.index,
        r.e2eLatencyMs,
        r.bottleneck?.component ?? null,
        r.userSpeechEndedAt,
        r.agentSpeechStartedAt,
      ]),
    );
  }
}

describe('the OTLP receiver and the real exporters', () => {
  for (const gzip of [false, true]) {
    it(`decodes voxtrace's OTLP/HTTP export (JSON${gzip ? ', gzip' : ''}: OpenTelemetry's serializer and configuration) driven by createVoxtrace({ otlp: { url } })`, async () => {
      server = await startDevServer({ port: 0 });
      const truth = new KeepSpans();
      const vt = withCompression(gzip, () =>
        createVoxtrace({
          serviceName: 'json-agent',
          otlp: { url: server!.otlpUrl },
          spanProcessors: [new SimpleSpanProcessor(truth)],
          // Small batches: spans arrive in many requests, turns before their conversation span.
          batch: { maxExportBatchSize: 7, scheduledDelayMillis: 20 },
        }),
      );
      const turns = recordCalls(vt, `json${gzip ? '-gz' : ''}`);
      await vt.shutdown();
      expect(vt.stats()).toMatchObject({ exportedSpans: truth.spans.length, failedSpans: 0 });
      await expectViewerMatches(server, truth, turns);
      expect(unhandled).toEqual([]);
    });

    it(`decodes @opentelemetry/exporter-trace-otlp-proto (protobuf${gzip ? ', gzip' : ''}) on a provider passed as tracerProvider`, async () => {
      server = await startDevServer({ port: 0 });
      const truth = new KeepSpans();
      const failures: string[] = [];
      const proto = withCompression(
        gzip,
        () =>
          new CountingExporter(new ProtoExporter({ url: server!.otlpUrl }), (d) => failures.push(d.message)),
      );
      const provider = new BasicTracerProvider({
        spanProcessors: [
          new SimpleSpanProcessor(truth),
          new BatchSpanProcessor(proto, { maxExportBatchSize: 5, scheduledDelayMillis: 20 }),
        ],
      });
      const vt = createVoxtrace({ tracerProvider: provider });
      const turns = recordCalls(vt, `proto${gzip ? '-gz' : ''}`);
      await vt.shutdown();
      await provider.shutdown();
      expect(failures).toEqual([]);
      expect(proto.stats).toMatchObject({ exportedSpans: truth.spans.length, failedSpans: 0 });
      await expectViewerMatches(server, truth, turns);
      expect(unhandled).toEqual([]);
    });
  }
});

/**
 * Fair export: one huge call cannot starve the others. A signed Vapi end-of-call report of tens of
 * thousands of messages arrives over HTTP while normal calls run (calls recorded through core, and
 * normal Vapi reports posted at the same moment); spans go through voxtrace's real OTLP/HTTP export
 * to a collector on 127.0.0.1. Every normal call's spans arrive, all of them; the huge call exports
 * its share of the queue and its conversation span counts the turns and spans it left out, as the
 * `conversation_budget` drop counter and metric do.
 *
 * The control run turns the share off (a conversation may fill the whole queue): the same traffic
 * then loses normal calls' spans, so the first test does measure the mechanism.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type ConversationHandle, createVoxtrace, type Diagnostic, type Voxtrace } from '@voxtrace/core';
import { createVapiWebhookHandler, toNodeHandler } from '@voxtrace/vapi';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../packages/core/test/support/exposition.js';
import { type OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = JSON.parse(
  readFileSync(path.join(repoRoot, 'fixtures/vapi/vapi-end-of-call-report.json'), 'utf8'),
) as {
  message: Record<string, unknown> & { call: Record<string, unknown>; artifact: Record<string, unknown> };
};
const SECRET = 'fair-export-hmac-secret';
const HUGE_MESSAGES = 44_000;
const NORMAL_CALLS = 20;
const NORMAL_REPORTS = 5;
const TURNS = 4;
/** turn, stt, turn_detection, llm, tts per turn of `recordTurn`. */
const SPANS_PER_TURN = 5;
const TIMEOUT = 120_000;

/** The fixture's report for another call; `pairs` > 0 replaces its messages with that many user/bot exchanges. */
function report(callId: string, pairs = 0): Record<string, unknown> {
  const doc = structuredClone(REPORT);
  const m = doc.message;
  m.call = { ...m.call, id: callId };
  if (pairs === 0) return doc;
  const start = Date.parse(m.startedAt as string);
  const messages: Record<string, unknown>[] = [{ role: 'system', message: 'You are helpful.', time: start }];
  for (let i = 0; i < pairs; i++) {
    const t = start + 1000 + i * 5000;
    messages.push(
      {
        role: 'user',
        message: `question ${i}`,
        time: t,
        endTime: t + 1500,
        secondsFromStart: (t - start) / 1000,
      },
      {
        role: 'bot',
        message: `answer ${i}`,
        time: t + 2300,
        endTime: t + 4000,
        secondsFromStart: (t + 2300 - start) / 1000,
      },
    );
  }
  const end = new Date(start + 1000 + pairs * 5000).toISOString();
  m.endedAt = end;
  m.call = { ...m.call, endedAt: end };
  m.artifact = { ...m.artifact, messages, messagesOpenAIFormatted: [] };
  return doc;
}

/** One healthy turn recorded through core. */
function recordTurn(conv: ConversationHandle, at: number): void {
  conv.record({ type: 'user.speech.started', at });
  conv.record({ type: 'user.speech.ended', at: at + 1000 });
  conv.record({ type: 'stt.final', at: at + 1150, transcript: 'what time do you open' });
  conv.record({ type: 'turn.end_detected', at: at + 1300, delayMs: 300 });
  conv.record({ type: 'llm.started', at: at + 1300, provider: 'openai', model: 'gpt-4o-mini' });
  conv.record({ type: 'llm.first_token', at: at + 1600 });
  conv.record({ type: 'tts.started', at: at + 1610 });
  conv.record({ type: 'tts.first_audio', at: at + 1800 });
  conv.record({ type: 'agent.speech.started', at: at + 1810 });
  conv.record({ type: 'llm.ended', at: at + 1900 });
  conv.record({ type: 'tts.ended', at: at + 2600 });
  conv.record({ type: 'agent.speech.ended', at: at + 2700 });
}

/** Counts every span that ends, by conversation id: what the export must deliver. */
class CreatedSpans implements SpanProcessor {
  readonly byConversation = new Map<string, number>();
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    const id = String(span.attributes['conversation.id']);
    this.byConversation.set(id, (this.byConversation.get(id) ?? 0) + 1);
  }
  forceFlush = async () => {};
  shutdown = async () => {};
}

let receiver: OtlpReceiver | undefined;
let webhook: Server | undefined;
afterEach(async () => {
  await receiver?.close();
  await new Promise((r) => (webhook ? webhook.close(r) : r(undefined)));
  receiver = undefined;
  webhook = undefined;
});

interface Run {
  vt: Voxtrace;
  receiver: OtlpReceiver;
  /** Every span created, by conversation id. */
  created: Map<string, number>;
  /** Spans the collector received, by conversation id. */
  received: Map<string, number>;
  normalIds: string[];
  hugeId: string;
  diagnostics: Diagnostic[];
  /** Bytes of the huge report's body. */
  hugeBytes: number;
}

/** Normal calls in progress, a huge report and normal reports at once, then the normal calls' ends. */
async function run(options: { maxQueuedSpansPerConversation?: number }): Promise<Run> {
  receiver = await startOtlpReceiver();
  const truth = new CreatedSpans();
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({
    serviceName: 'fair-export',
    otlp: { url: receiver.url },
    spanProcessors: [truth],
    onDiagnostic: (d) => diagnostics.push(d),
    ...options,
  });
  const handler = createVapiWebhookHandler(vt, {
    auth: { type: 'hmac', secret: SECRET },
    maxBodyBytes: 16 * 1024 * 1024,
  });
  webhook = createServer(toNodeHandler(handler));
  await new Promise<void>((resolve) => webhook!.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/vapi`;
  const post = async (doc: unknown) => {
    const body = JSON.stringify(doc);
    const timestamp = String(Date.now());
    const signature = createHmac('sha256', SECRET).update(`${timestamp}.${body}`).digest('hex');
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': signature, 'x-timestamp': timestamp },
      body,
    });
    expect(res.status).toBe(200);
    return Buffer.byteLength(body);
  };

  const T0 = Date.now() - 3_600_000;
  const calls = Array.from({ length: NORMAL_CALLS }, (_, i) =>
    vt.startConversation({ id: `normal-${i}`, startedAt: T0 + i * 1000 }),
  );
  for (const [i, conv] of calls.entries())
    for (let t = 0; t < TURNS / 2; t++) recordTurn(conv, T0 + i * 1000 + t * 5000);
  const hugeId = 'huge-call';
  const reportIds = Array.from({ length: NORMAL_REPORTS }, (_, i) => `normal-report-${i}`);
  const [hugeBytes] = await Promise.all([
    post(report(hugeId, HUGE_MESSAGES / 2)),
    ...reportIds.map((id) => post(report(id))),
  ]);
  for (const [i, conv] of calls.entries()) {
    for (let t = TURNS / 2; t < TURNS; t++) recordTurn(conv, T0 + i * 1000 + t * 5000);
    conv.end({ endedAt: T0 + i * 1000 + TURNS * 5000 });
  }
  await vt.shutdown();

  const received = new Map<string, number>();
  for (const span of receiver.spans) {
    const id = String(span.attributes['conversation.id']);
    received.set(id, (received.get(id) ?? 0) + 1);
  }
  return {
    vt,
    receiver,
    created: truth.byConversation,
    received,
    normalIds: [...calls.map((c) => c.id), ...reportIds],
    hugeId,
    diagnostics,
    hugeBytes: hugeBytes!,
  };
}

describe('fair export: a huge Vapi report next to normal calls', () => {
  it(
    'every normal call arrives complete; the huge call exports its share and counts the rest',
    async () => {
      const r = await run({});
      expect(r.hugeBytes).toBeGreaterThan(4_500_000);
      const s = r.vt.stats();
      expect(s.droppedSpans.queue_full).toBe(0);
      expect(s.failedSpans).toBe(0);

      // Every span of every normal call reached the collector.
      for (const id of r.normalIds) {
        expect(r.received.get(id), id).toBe(r.created.get(id));
        expect(r.created.get(id)).toBeGreaterThan(1);
      }
      for (let i = 0; i < NORMAL_CALLS; i++)
        expect(r.received.get(`normal-${i}`)).toBe(TURNS * SPANS_PER_TURN + 1);
      const conversationSpan = (id: string) =>
        r.receiver.spans.find((x) => x.name === 'conversation' && x.attributes['conversation.id'] === id)!;
      for (const id of r.normalIds)
        expect(conversationSpan(id).attributes['voice.spans.omitted'], id).toBeUndefined();

      // The huge call: its share (512 by default) and its conversation span, with what it left out.
      const huge = conversationSpan(r.hugeId).attributes;
      const omittedTurns = huge['voice.turns.omitted'] as number;
      const omittedSpans = huge['voice.spans.omitted'] as number;
      expect(r.received.get(r.hugeId)).toBeLessThanOrEqual(512 + 1);
      expect(omittedSpans).toBe(s.droppedSpans.conversation_budget);
      expect(omittedSpans).toBeGreaterThan(10_000);
      const hugeTurnSpans = r.receiver.spans.filter(
        (x) => x.name === 'turn' && x.attributes['conversation.id'] === r.hugeId,
      ).length;
      expect(hugeTurnSpans + omittedTurns).toBe(huge['voice.turn.count']);
      expect(r.received.get(r.hugeId)! + omittedSpans).toBeGreaterThan(HUGE_MESSAGES);

      // Counted in the metrics, and said in a diagnostic.
      const metrics = parseExposition(await r.vt.registry!.metrics());
      expect(sampleValue(metrics, 'voxtrace_spans_dropped_total', { reason: 'conversation_budget' })).toBe(
        omittedSpans,
      );
      expect(r.diagnostics.some((d) => d.code === 'spans_dropped' && /share/.test(d.message))).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'control: without the share, the same traffic loses normal calls’ spans',
    async () => {
      const r = await run({ maxQueuedSpansPerConversation: 2048 });
      expect(r.vt.stats().droppedSpans.queue_full).toBeGreaterThan(0);
      const incomplete = r.normalIds.filter((id) => r.received.get(id) !== r.created.get(id));
      expect(incomplete.length).toBeGreaterThan(0);
    },
    TIMEOUT,
  );
});

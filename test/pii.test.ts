/**
 * Personal data never reaches the collector in the default content mode. A corpus of emails, phone
 * numbers, cards with their expiry dates and security codes, SSNs, IBANs and government ids (written,
 * spaced, Unicode-separated, in other scripts' digits, spoken) goes into transcripts, LLM text, tool
 * arguments and results, component errors, span status and error events: recorded through core
 * directly, and through each adapter's own payloads (Retell webhooks, Vapi server messages, Pipecat RTVI
 * messages, a LiveKit AgentSession). Spans travel over the real OTLP/HTTP exporter to a collector on 127.0.0.1; what it
 * received is searched for every item.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, AgentSession, initializeLogger, llm, voice } from '@livekit/agents';
import { createVoxtrace, type Voxtrace } from '@voxtrace/core';
import { instrumentAgentSession } from '@voxtrace/livekit';
import { createPipecatBridge } from '@voxtrace/pipecat-bridge';
import { createRetellWebhookHandler, signRetellPayload } from '@voxtrace/retell';
import { createVapiWebhookHandler } from '@voxtrace/vapi';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './helpers/otlp-receiver.js';
import { leaksOf, PII_CORPUS, SAY } from './helpers/pii-corpus.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(repoRoot, 'fixtures', name), 'utf8'));

// Hundreds of forms through six real paths (a LiveKit session answers one turn per item).
vi.setConfig({ testTimeout: 300_000 });

const T0 = 1_763_700_000_000;
/** Span attributes that carry content (as opposed to ids, times and figures). */
const CONTENT_KEYS = [
  'turn.user.transcript',
  'stt.transcript',
  'llm.input',
  'llm.output',
  'tts.text',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'component.error',
];
const MASKS = /\[(EMAIL|PHONE|CARD|EXPIRY|CVV|PIN|SSN|IBAN|ID|NUMBER)\]/;

let receiver: OtlpReceiver;
afterEach(async () => {
  await receiver?.close();
});

/**
 * voxtrace as a user sets it up: OTLP to the collector, nothing about content (so the default). The
 * export queue holds the whole corpus's spans, so none is dropped before the collector sees it.
 */
async function voxtrace(): Promise<Voxtrace> {
  receiver = await startOtlpReceiver();
  return createVoxtrace({
    serviceName: 'pii',
    otlp: { url: receiver.url },
    batch: { maxQueueSize: 1_000_000, maxExportBatchSize: 2048 },
    flushTimeoutMs: 60_000,
  });
}

/** The text of a span that may carry content: content attributes, event attributes, status. */
function contentOf(s: ReceivedSpan): string {
  return JSON.stringify([
    CONTENT_KEYS.map((k) => s.attributes[k]),
    s.events.map((e) => e.attributes),
    s.status.message,
  ]);
}

/**
 * Checks the spans of each item's conversation: no secret anywhere, no digit run in the content, and
 * content was exported (masked), so the check is not vacuous.
 */
function expectNoLeaks(conversationOf: (i: number) => string, minContentSpans = 1): void {
  expectNoLeaksIn(
    (i) => receiver.spans.filter((s) => s.attributes['conversation.id'] === conversationOf(i)),
    minContentSpans,
  );
}

/** {@link expectNoLeaks}, with the spans of each item picked by `spansOf`. */
function expectNoLeaksIn(spansOf: (i: number) => ReceivedSpan[], minContentSpans = 1): void {
  const leaks: string[] = [];
  PII_CORPUS.forEach((item, i) => {
    const spans = spansOf(i);
    expect(spans.length, `spans of ${item.value}`).toBeGreaterThan(0);
    const masked = spans.filter((s) => MASKS.test(contentOf(s)));
    expect(masked.length, `spans with masked content for ${item.value}`).toBeGreaterThanOrEqual(
      minContentSpans,
    );
    const found = leaksOf(item, JSON.stringify(spans), spans.map(contentOf).join('\n'));
    if (found.length) leaks.push(`${item.kind} ${JSON.stringify(item.value)}: ${found.join(', ')}`);
  });
  expect(leaks).toEqual([]);
}

/** Replaces the string at each key of `map` (anywhere in a JSON value) with `map[key](old)`. */
function rewrite(
  value: unknown,
  map: Record<string, (old: string, parent: Record<string, unknown>) => unknown>,
): unknown {
  if (Array.isArray(value)) return value.map((v) => rewrite(v, map));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      out[k] =
        typeof v === 'string' && map[k] ? map[k](v, value as Record<string, unknown>) : rewrite(v, map);
    return out;
  }
  return value;
}

describe('core: content recorded directly', () => {
  it('no item of the corpus reaches the collector', async () => {
    const vt = await voxtrace();
    PII_CORPUS.forEach((item, i) => {
      const v = item.value;
      const conv = vt.startConversation({ id: `core-${i}`, startedAt: T0 });
      const r = (type: string, dt: number, extra: object = {}) =>
        conv.record({ type, at: T0 + dt, ...extra } as never);
      r('user.speech.started', 0);
      r('user.speech.ended', 1000);
      r('stt.final', 1100, { transcript: SAY.caller(v) });
      r('llm.started', 1200, { input: SAY.caller(v) });
      r('llm.first_token', 1500);
      r('llm.ended', 1550, { output: SAY.llm(v) });
      r('tool.started', 1560, { name: 'lookup', callId: 't1', arguments: SAY.arguments(v) });
      r('tool.ended', 1700, { name: 'lookup', callId: 't1', result: SAY.result(v) });
      r('tool.started', 1710, { name: 'lookup', callId: 't2', arguments: SAY.arguments(v) });
      r('tool.ended', 1800, { name: 'lookup', callId: 't2', error: SAY.error(v) });
      r('llm.started', 1810, { input: JSON.stringify(SAY.result(v)) });
      r('llm.first_token', 2000);
      r('tts.started', 2010, { text: SAY.llm(v) });
      r('tts.first_audio', 2100);
      r('agent.speech.started', 2110);
      r('llm.ended', 2200, { output: SAY.llm(v), error: SAY.error(v) });
      r('tts.ended', 3000);
      r('agent.speech.ended', 3100);
      r('error', 3200, { layer: 'stt', message: SAY.error(v) });
      conv.end({ endedAt: T0 + 4000 });
    });
    await vt.shutdown();
    expect(vt.stats().failedSpans).toBe(0);
    for (const [reason, n] of Object.entries(vt.stats().droppedSpans)) expect(n, reason).toBe(0);
    expectNoLeaks((i) => `core-${i}`, 5);
  });
});

describe('Retell: call_analyzed webhooks', () => {
  it('no item of the corpus reaches the collector', async () => {
    const vt = await voxtrace();
    const apiKey = 'key_pii_test';
    const handler = createRetellWebhookHandler(vt, { apiKey, analysisWaitMs: 0 });
    const base = fixture('retell/retell-call_analyzed.json');
    for (const [i, item] of PII_CORPUS.entries()) {
      const v = item.value;
      const body = rewrite(base, {
        call_id: () => `retell-${i}`,
        transcript: () => `User: ${SAY.caller(v)}\nAgent: ${SAY.llm(v)}`,
        content: (_, parent) =>
          parent.role === 'tool_call_result'
            ? JSON.stringify(SAY.result(v))
            : parent.role === 'user'
              ? SAY.caller(v)
              : SAY.llm(v),
        word: (old) => (/\d/.test(old) ? v : old),
        arguments: () => JSON.stringify(SAY.arguments(v)),
        call_summary: () => SAY.llm(v),
      });
      const raw = JSON.stringify(body);
      const res = await handler(
        new Request('http://127.0.0.1/retell', {
          method: 'POST',
          headers: { 'x-retell-signature': signRetellPayload(raw, apiKey) },
          body: raw,
        }),
      );
      expect(res.status).toBeLessThan(300);
    }
    handler.close();
    await vt.shutdown();
    expectNoLeaks((i) => `retell-${i}`);
    // The fixture's own caller and callee numbers are personal too.
    const { from_number: from, to_number: to } = base.call;
    expect(JSON.stringify(receiver.spans)).not.toContain(from);
    expect(JSON.stringify(receiver.spans)).not.toContain(to);
  });
});

describe('Vapi: server messages', () => {
  const ID = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

  it('end-of-call reports: no item of the corpus reaches the collector', async () => {
    const vt = await voxtrace();
    const handler = createVapiWebhookHandler(vt, { allowUnauthenticated: true });
    const base = fixture('vapi/vapi-end-of-call-report.json');
    for (const [i, item] of PII_CORPUS.entries()) {
      const v = item.value;
      const body = rewrite(base, {
        message: (old, parent) =>
          parent.role === 'user' ? SAY.caller(v) : parent.role === 'bot' ? SAY.llm(v) : old,
        content: (_, parent) => (parent.role === 'user' ? SAY.caller(v) : SAY.llm(v)),
        arguments: () => JSON.stringify(SAY.arguments(v)),
        result: () => JSON.stringify(SAY.result(v)),
        transcript: () => `AI: ${SAY.llm(v)}\nUser: ${SAY.caller(v)}`,
        summary: () => SAY.llm(v),
      }) as { message: { call: { id: string } } };
      body.message.call.id = ID(i);
      const res = await handler(
        new Request('http://127.0.0.1/vapi', { method: 'POST', body: JSON.stringify(body) }),
      );
      expect(res.status).toBe(200);
    }
    await vt.shutdown();
    expectNoLeaks((i) => ID(i));
    const customer = fixture('vapi/vapi-end-of-call-report.json').message.customer?.number;
    if (customer) expect(JSON.stringify(receiver.spans)).not.toContain(customer);
  });

  it('live messages (transcripts, model output, tool calls and your tool results): no item reaches the collector', async () => {
    const vt = await voxtrace();
    const handler = createVapiWebhookHandler(vt, {
      allowUnauthenticated: true,
      onMessage: (m) => {
        if (m.type !== 'tool-calls') return undefined;
        const v = PII_CORPUS[Number(m.call?.id?.slice(-12))]!.value;
        return { results: [{ toolCallId: 'call_1', result: JSON.stringify(SAY.result(v)) }] };
      },
    });
    const post = (body: unknown) =>
      handler(new Request('http://127.0.0.1/vapi', { method: 'POST', body: JSON.stringify(body) }));
    for (const [i, item] of PII_CORPUS.entries()) {
      const v = item.value;
      const call = { id: ID(i), orgId: 'org', startedAt: new Date(T0).toISOString() };
      const m = (type: string, t: number, extra: object = {}) => ({
        message: { type, timestamp: T0 + t, call, ...extra },
      });
      const speech = (role: string, status: string, t: number) => m('speech-update', t, { role, status });
      const messages = [
        m('status-update', 0, { status: 'in-progress' }),
        speech('user', 'started', 1000),
        speech('user', 'stopped', 3000),
        m('transcript', 3100, { role: 'user', transcriptType: 'final', transcript: SAY.caller(v) }),
        // The model's output, streamed in small pieces that split the number.
        ...SAY.llm(v)
          .match(/.{1,3}/g)!
          .map((piece, k) => m('model-output', 3500 + k, { output: piece, turnId: 't1' })),
        m('tool-calls', 3900, {
          toolCallList: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'lookup', arguments: JSON.stringify(SAY.arguments(v)) },
            },
          ],
        }),
        speech('assistant', 'started', 4500),
        m('transcript', 6000, { role: 'assistant', transcriptType: 'final', transcript: SAY.llm(v) }),
        speech('assistant', 'stopped', 6100),
        m('status-update', 9000, { status: 'ended', endedReason: 'customer-ended-call' }),
      ];
      for (const message of messages) expect((await post(message)).status).toBe(200);
    }
    await vt.shutdown();
    expectNoLeaks((i) => ID(i));
  });
});

/**
 * The text of each streamed chunk (by event index) so that every run of chunks, up to its `stop`
 * message, carries all of `pieces` (the last chunk of a run takes the rest).
 */
function streamed(
  events: { message: { type: string } }[],
  type: string,
  stop: string,
  pieces: string[],
): Map<number, string> {
  const out = new Map<number, string>();
  let run: number[] = [];
  const flush = () => {
    run.forEach((k, n) => out.set(k, n === run.length - 1 ? pieces.slice(n).join('') : (pieces[n] ?? '')));
    run = [];
  };
  events.forEach((e, k) => {
    if (e.message.type === type) run.push(k);
    else if (e.message.type === stop) flush();
  });
  flush();
  return out;
}

describe('Pipecat: RTVI messages', () => {
  it('no item of the corpus reaches the collector', async () => {
    const vt = await voxtrace();
    const bridge = createPipecatBridge(vt);
    const { events } = fixture('pipecat/01-three-turns-function-call-full.json') as {
      events: { at_ms: number; message: { type: string; data?: Record<string, unknown> } }[];
    };
    for (const [i, item] of PII_CORPUS.entries()) {
      const v = item.value;
      // Streamed text carries the item in pieces, as a real stream would: LLM tokens of a few
      // characters, TTS words; each LLM or TTS run streams the whole sentence.
      const chunks = new Map([
        ...streamed(events, 'bot-llm-text', 'bot-llm-stopped', SAY.llm(v).match(/.{1,4}/g)!),
        ...streamed(events, 'bot-tts-text', 'bot-tts-stopped', SAY.llm(v).split(/(?= )/)),
      ]);
      const id = `pipecat-${i}`;
      for (const [k, { at_ms, message }] of events.entries()) {
        const data = { ...message.data };
        switch (message.type) {
          case 'user-transcription':
          case 'user-llm-text':
            data.text = SAY.caller(v);
            break;
          case 'bot-llm-text':
          case 'bot-tts-text':
            data.text = chunks.get(k);
            break;
          case 'bot-transcription':
          case 'bot-output':
            data.text = SAY.llm(v);
            break;
          case 'llm-function-call-in-progress':
            data.arguments = SAY.arguments(v);
            break;
          case 'llm-function-call-stopped':
            data.result = SAY.result(v);
            break;
        }
        bridge.ingest({ ...message, data }, { conversationId: id, receivedAt: T0 + at_ms });
      }
      bridge.ingest(
        { label: 'rtvi-ai', type: 'error', data: { error: SAY.error(v), fatal: false } },
        { conversationId: id, receivedAt: T0 + 20_000 },
      );
      bridge.end(id);
    }
    bridge.close();
    await vt.shutdown();
    expectNoLeaks((i) => `pipecat-${i}`);
  });
});

describe('LiveKit: an AgentSession', () => {
  beforeAll(() => initializeLogger({ pretty: false, level: 'silent' }));

  it('no item of the corpus reaches the collector', async () => {
    const vt = await voxtrace();
    // One session, one turn per item: the caller says it, the LLM calls a tool with it, the tool
    // returns it, the LLM says it back.
    const toolOutput = (v: string) => `record on file: ${v}`;
    const session = new AgentSession({
      llm: new voice.testing.FakeLLM(
        PII_CORPUS.flatMap(({ value: v }) => [
          { input: SAY.caller(v), toolCalls: [{ name: 'lookup', args: SAY.arguments(v) }] },
          { input: JSON.stringify(toolOutput(v)), content: SAY.llm(v) },
        ]),
      ),
      vad: null,
      turnHandling: { turnDetection: 'manual' },
    });
    instrumentAgentSession(session, vt, { conversationId: 'livekit-pii' });
    let current = '';
    const lookup = llm.tool({
      description: 'finds a caller',
      parameters: z.object({ lookup: z.string(), note: z.string() }),
      execute: async () => toolOutput(current),
    });
    await session.start({ agent: new Agent({ instructions: 'test', tools: { lookup } }) });
    for (const { value } of PII_CORPUS) {
      current = value;
      await session.run({ userInput: SAY.caller(value) }).wait();
    }
    await session.close();
    await vt.shutdown();
    expectNoLeaksIn((i) => receiver.spans.filter((s) => s.attributes['turn.index'] === i + 1));
  });
});

/**
 * Every order and duplication of a call's webhook deliveries gives the same trace. Payloads are typed by
 * retell-sdk (a field Retell renames fails to compile), signed with retell-sdk's own `sign`, and go
 * through the real webhook handler to the in-memory exporter.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createRetellWebhookHandler } from '@voxtrace/retell';
import fc from 'fast-check';
import Retell, { sign } from 'retell-sdk';
import { describe, expect, it } from 'vitest';
import { API_KEY, testVoxtrace, turnsOf } from './helpers.js';

type PhoneCall = Retell.PhoneCallResponse;
type WebhookEvent = NonNullable<Retell.AgentResponse['webhook_events']>[number];
type Delivery = {
  event: Extract<WebhookEvent, 'call_started' | 'call_ended' | 'call_analyzed'>;
  call: PhoneCall;
};
type Utterance = Retell.PhoneCallResponse.TranscriptObject;
type Word = Retell.PhoneCallResponse.TranscriptObject.Word;
type CallSpec = typeof callArb extends fc.Arbitrary<infer T> ? T : never;
type ToolEntry = NonNullable<PhoneCall['transcript_with_tool_calls']>[number];

const START = 1_760_000_000_000;

const exchangeArb = fc.record({
  userWords: fc.integer({ min: 1, max: 4 }),
  /** The caller's wait, ms. */
  waitMs: fc.integer({ min: 150, max: 3000 }),
  agentWords: fc.integer({ min: 1, max: 5 }),
  pauseMs: fc.integer({ min: 200, max: 4000 }),
  tool: fc.option(fc.record({ successful: fc.boolean(), name: fc.constantFrom('lookup', 'book_slot') }), {
    freq: 3,
  }),
});

const callArb = fc.record({
  greeting: fc.boolean(),
  exchanges: fc.array(exchangeArb, { minLength: 0, maxLength: 4 }),
  latency: fc.boolean(),
  cost: fc.boolean(),
  disconnection: fc.constantFrom<NonNullable<PhoneCall['disconnection_reason']>>(
    'user_hangup',
    'agent_hangup',
    'call_transfer',
    'error_llm_websocket_lost_connection',
  ),
  analysis: fc.record({
    call_successful: fc.boolean(),
    user_sentiment: fc.constantFrom<'Negative' | 'Positive' | 'Neutral' | 'Unknown'>('Positive', 'Negative'),
    in_voicemail: fc.boolean(),
  }),
});

/** Words of `n` at 300 ms each from `at` (seconds of call audio). */
function words(n: number, at: number): Word[] {
  return Array.from({ length: n }, (_, i) => ({
    word: `w${i}`,
    start: at + i * 0.3,
    end: at + i * 0.3 + 0.25,
  }));
}

/** The complete call, as `call_analyzed` carries it. */
function analyzedCall(id: string, spec: CallSpec): PhoneCall {
  const transcript: Utterance[] = [];
  const withTools: ToolEntry[] = [];
  const e2e: number[] = [];
  let t = 0.5;
  const say = (role: 'agent' | 'user', n: number) => {
    const u = { role, content: `${role} says ${n} words`, words: words(n, t) };
    transcript.push(u);
    withTools.push(u);
    t = u.words.at(-1)!.end!;
  };
  if (spec.greeting) say('agent', 3);
  spec.exchanges.forEach((x, i) => {
    t += x.pauseMs / 1000;
    say('user', x.userWords);
    t += x.waitMs / 1000;
    e2e.push(x.waitMs);
    say('agent', x.agentWords);
    if (x.tool) {
      withTools.push(
        { role: 'tool_call_invocation', tool_call_id: `tc${i}`, name: x.tool.name, arguments: '{"q":1}' },
        {
          role: 'tool_call_result',
          tool_call_id: `tc${i}`,
          content: '{"ok":true}',
          successful: x.tool.successful,
        },
      );
      t += 0.8;
      say('agent', 2);
    }
  });
  const series = (values: number[]): Retell.PhoneCallResponse.Latency.E2E => ({
    values,
    num: values.length,
    ...(values.length ? { p50: values[0], max: Math.max(...values), min: Math.min(...values) } : {}),
  });
  const call: PhoneCall = {
    call_id: id,
    agent_id: 'agent_ordering',
    agent_version: 3,
    agent_name: 'Ordering agent',
    call_type: 'phone_call',
    direction: 'inbound',
    from_number: '+15550100',
    to_number: '+15550199',
    call_status: 'ended',
    start_timestamp: START,
    end_timestamp: START + Math.round((t + 1) * 1000),
    duration_ms: Math.round((t + 1) * 1000),
    disconnection_reason: spec.disconnection,
    transcript: transcript.map((u) => u.content).join('\n'),
    transcript_object: transcript,
    transcript_with_tool_calls: withTools,
    call_analysis: { ...spec.analysis, call_summary: 'summary' },
  };
  if (spec.latency) {
    call.latency = {
      e2e: series(e2e),
      asr: series(e2e.map((v) => Math.round(v * 0.1))),
      llm: series(e2e.map((v) => Math.round(v * 0.4))),
      tts: series(e2e.map((v) => Math.round(v * 0.2))),
    };
  }
  if (spec.cost) {
    call.call_cost = {
      combined_cost: 12.5,
      total_duration_seconds: Math.round(t),
      total_duration_unit_price: 0.1,
      product_costs: [{ product: 'retell_platform', cost: 12.5, unit_price: 0.1 }],
    };
  }
  return call;
}

/** What Retell sends at each stage; `call_ended` may lack the transcript or the latency. */
function stagesOf(call: PhoneCall, ended: { transcript: boolean; latency: boolean }) {
  const {
    call_analysis: _analysis,
    transcript,
    transcript_object,
    transcript_with_tool_calls,
    latency,
    ...rest
  } = call;
  const endedCall: PhoneCall = {
    ...rest,
    ...(ended.transcript ? { transcript, transcript_object, transcript_with_tool_calls } : {}),
    ...(ended.latency && latency ? { latency } : {}),
  };
  const startedCall: PhoneCall = {
    call_id: call.call_id,
    agent_id: call.agent_id,
    agent_version: call.agent_version,
    call_type: 'phone_call',
    direction: call.direction,
    from_number: call.from_number,
    to_number: call.to_number,
    call_status: 'ongoing',
    start_timestamp: call.start_timestamp,
  };
  return {
    call_started: { event: 'call_started', call: startedCall },
    call_ended: { event: 'call_ended', call: endedCall },
    call_analyzed: { event: 'call_analyzed', call },
  } satisfies Record<Delivery['event'], Delivery>;
}

/** A span tree with ids replaced by structure, children in a canonical order. */
interface Node {
  name: string;
  kind: number;
  start: [number, number];
  end: [number, number];
  attributes: [string, unknown][];
  status: unknown;
  events: unknown[];
  children: Node[];
}

/** The trace as a value: equal traces give equal values whatever the span ids and export order. */
function canonical(spans: ReadableSpan[]): { traceIds: string[]; roots: Node[] } {
  const children = new Map<string, ReadableSpan[]>();
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const roots: ReadableSpan[] = [];
  for (const s of spans) {
    const parent = s.parentSpanContext?.spanId;
    if (parent && ids.has(parent)) children.set(parent, [...(children.get(parent) ?? []), s]);
    else roots.push(s);
  }
  const node = (s: ReadableSpan): Node => ({
    name: s.name,
    kind: s.kind,
    start: s.startTime,
    end: s.endTime,
    attributes: Object.entries(s.attributes).sort(([a], [b]) => (a < b ? -1 : 1)),
    status: s.status,
    events: s.events.map((e) => ({ name: e.name, time: e.time, attributes: e.attributes })),
    children: sorted((children.get(s.spanContext().spanId) ?? []).map(node)),
  });
  const sorted = (nodes: Node[]) =>
    nodes
      .map((n) => [JSON.stringify(n), n] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, n]) => n);
  return {
    traceIds: [...new Set(spans.map((s) => s.spanContext().traceId))],
    roots: sorted(roots.map(node)),
  };
}

/** Delivers the bodies, signed by retell-sdk, through a fresh handler; returns the trace. */
async function traceOf(bodies: Delivery[]) {
  const t = testVoxtrace({ metrics: false, monitor: false });
  const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY });
  for (const body of bodies) {
    const raw = JSON.stringify(body);
    const res = await handler(
      new Request('http://127.0.0.1/retell', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-retell-signature': await sign(raw, API_KEY) },
        body: raw,
      }),
    );
    expect(res.status).toBe(204);
  }
  // Emits a call that got no `call_analyzed` (as the wait running out would).
  handler.close();
  await t.vt.shutdown();
  expect(handler.stats()).toMatchObject({ openCalls: 0, late: 0 });
  const spans = t.spans();
  expect(spans.filter((s) => s.name === 'conversation')).toHaveLength(1);
  return { trace: canonical(spans), turns: turnsOf(spans).length };
}

const deliveryPlanArb = fc.record({
  started: fc.integer({ min: 0, max: 3 }),
  ended: fc.integer({ min: 0, max: 3 }),
  analyzed: fc.integer({ min: 0, max: 3 }),
  endedHas: fc.record({ transcript: fc.boolean(), latency: fc.boolean() }),
  order: fc.array(fc.nat(), { minLength: 9, maxLength: 9 }),
});

describe('any interleaving and duplication of a call’s deliveries gives the same trace', () => {
  it('property: shuffled, retried call_started / call_ended / call_analyzed', async () => {
    await fc.assert(
      fc.asyncProperty(callArb, deliveryPlanArb, fc.uuid({ version: 4 }), async (spec, plan, id) => {
        fc.pre(plan.ended + plan.analyzed > 0);
        const call = analyzedCall(id, spec);
        const stages = stagesOf(call, plan.endedHas);
        const copies = [
          ...Array<Delivery>(plan.started).fill(stages.call_started),
          ...Array<Delivery>(plan.ended).fill(stages.call_ended),
          ...Array<Delivery>(plan.analyzed).fill(stages.call_analyzed),
        ];
        const shuffled = copies
          .map((d, i) => [plan.order[i]!, i, d] as const)
          .sort((a, b) => a[0] - b[0] || a[1] - b[1])
          .map(([, , d]) => d);
        // The reference: call_analyzed alone (Retell's complete call object), else the ordered stages.
        const reference = plan.analyzed
          ? [stages.call_analyzed]
          : [...(plan.started ? [stages.call_started] : []), stages.call_ended];
        const [got, want] = [await traceOf(shuffled), await traceOf(reference)];
        expect(got.trace).toEqual(want.trace);
        if (plan.analyzed || plan.endedHas.transcript) {
          expect(got.turns).toBe(spec.exchanges.length + (spec.greeting ? 1 : 0));
        }
      }),
      { numRuns: 60 },
    );
  });
});

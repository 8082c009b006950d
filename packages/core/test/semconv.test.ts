// The OpenTelemetry conventions backends key on: every `gen_ai.*` name checked against
// @opentelemetry/semantic-conventions, span kinds, the GenAI span naming option and
// OTEL_SEMCONV_STABILITY_OPT_IN.
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ERROR_TYPE_VALUE_OTHER } from '@opentelemetry/semantic-conventions';
import { ATTR, createVoxtrace, GEN_AI_LATEST_EXPERIMENTAL, type VoxtraceOptions } from '@voxtrace/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  GEN_AI_ATTRIBUTES,
  GEN_AI_OPERATIONS,
  genAiKeys,
  unknownGenAiKeys,
} from '../../../test/helpers/semconv.js';

const T0 = 1_763_700_000_000;

class Collector implements SpanProcessor {
  readonly ended: ReadableSpan[] = [];
  onStart(_span: Span): void {}
  onEnd(span: ReadableSpan): void {
    this.ended.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

afterEach(() => {
  vi.unstubAllEnvs();
});

/** One call with every span kind: STT, end of turn, two LLM calls around a tool, a failed tool, TTS. */
async function spansOf(options: VoxtraceOptions = {}): Promise<ReadableSpan[]> {
  const collector = new Collector();
  const vt = createVoxtrace({ otlp: false, spanProcessors: [collector], ...options });
  const conv = vt.startConversation({ id: 'call-1', startedAt: T0 });
  const r = (type: string, dt: number, extra: object = {}) =>
    conv.record({ type, at: T0 + dt, ...extra } as never);
  r('user.speech.started', 0);
  r('user.speech.ended', 1000);
  r('stt.final', 1150, { transcript: 'where is my order', provider: 'deepgram', model: 'nova-3' });
  r('turn.end_detected', 1300, { delayMs: 300 });
  r('llm.started', 1300, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 1600);
  r('llm.ended', 1700, { inputTokens: 500, outputTokens: 12 });
  r('tool.started', 1710, { name: 'lookup_order', callId: 'call_9', arguments: { id: 7 } });
  r('tool.ended', 2110, { name: 'lookup_order', callId: 'call_9', error: 'timeout' });
  r('llm.started', 2120, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 2400);
  r('tts.started', 2410, { provider: 'cartesia' });
  r('tts.first_audio', 2510);
  r('agent.speech.started', 2520);
  r('llm.ended', 2700, { inputTokens: 540, outputTokens: 30 });
  r('agent.speech.ended', 4000);
  conv.end({ endedAt: T0 + 4000 });
  await vt.shutdown();
  return collector.ended;
}

const attributesOf = (spans: ReadableSpan[]) => spans.map((s) => s.attributes);
const kindsByName = (spans: ReadableSpan[]) =>
  Object.fromEntries(spans.map((s) => [s.name, SpanKind[s.kind]]));

describe('OpenTelemetry GenAI names', () => {
  it('every gen_ai.* key of ATTR is a name @opentelemetry/semantic-conventions exports', () => {
    const keys = Object.values(ATTR).filter((k) => k.startsWith('gen_ai.'));
    expect(keys.length).toBeGreaterThan(10);
    expect(keys.filter((k) => !GEN_AI_ATTRIBUTES.has(k))).toEqual([]);
  });

  it.each([
    ['default', {}],
    ['latest', { semconvStabilityOptIn: GEN_AI_LATEST_EXPERIMENTAL }],
    ['GenAI span names', { spanNames: 'genai' }],
  ] as const)('every gen_ai.* name emitted (%s) is an OpenTelemetry name', async (_, options) => {
    const spans = await spansOf(options);
    const emitted = genAiKeys(attributesOf(spans));
    // Not vacuous: the LLM and tool spans carry the GenAI keys.
    expect(emitted).toEqual(
      expect.arrayContaining(['gen_ai.operation.name', 'gen_ai.provider.name', 'gen_ai.tool.name']),
    );
    expect(unknownGenAiKeys(attributesOf(spans))).toEqual([]);
    for (const s of spans) {
      const op = s.attributes['gen_ai.operation.name'];
      if (op !== undefined) expect(GEN_AI_OPERATIONS.has(String(op)), String(op)).toBe(true);
    }
  });

  it('puts the conversation id, provider, models and tokens where the conventions want them', async () => {
    const spans = await spansOf();
    const [llm] = spans.filter((s) => s.name === 'llm');
    expect(llm!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.conversation.id': 'call-1',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 500,
      'gen_ai.usage.output_tokens': 12,
      'gen_ai.response.time_to_first_chunk': 0.3,
    });
    const tool = spans.find((s) => s.name === 'tool_call')!;
    expect(tool.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.conversation.id': 'call-1',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 'call_9',
      'error.type': ERROR_TYPE_VALUE_OTHER,
    });
  });

  it('gives provider calls span kind CLIENT, the tool and the turn INTERNAL, the call SERVER', async () => {
    expect(kindsByName(await spansOf())).toEqual({
      conversation: 'SERVER',
      turn: 'INTERNAL',
      stt: 'CLIENT',
      turn_detection: 'INTERNAL',
      llm: 'CLIENT',
      tool_call: 'INTERNAL',
      tts: 'CLIENT',
    });
  });
});

describe('span names', () => {
  it("keeps the span model's names by default", async () => {
    const names = (await spansOf()).map((s) => s.name);
    expect(new Set(names)).toEqual(
      new Set(['conversation', 'turn', 'stt', 'turn_detection', 'llm', 'tool_call', 'tts']),
    );
  });

  it("spanNames: 'genai' names LLM and tool spans as the GenAI conventions do", async () => {
    const spans = await spansOf({ spanNames: 'genai' });
    expect(spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat').map((s) => s.name)).toEqual([
      'chat gpt-4o-mini',
      'chat gpt-4o-mini',
    ]);
    expect(spans.find((s) => s.attributes['gen_ai.tool.name'])!.name).toBe('execute_tool lookup_order');
    expect(kindsByName(spans)['chat gpt-4o-mini']).toBe('CLIENT');
    // The rest of the span model keeps its names.
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['turn', 'stt', 'tts', 'conversation']));
  });
});

describe('OTEL_SEMCONV_STABILITY_OPT_IN', () => {
  const systems = async (options: VoxtraceOptions = {}) =>
    (await spansOf(options)).filter((s) => s.name === 'llm').map((s) => s.attributes['gen_ai.system']);

  it('without gen_ai_latest_experimental, LLM spans also carry gen_ai.system (v1.36)', async () => {
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', '');
    expect(await systems()).toEqual(['openai', 'openai']);
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', 'http,database/dup');
    expect(await systems()).toEqual(['openai', 'openai']);
  });

  it('with gen_ai_latest_experimental anywhere in the list, only the latest names', async () => {
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', 'http, gen_ai_latest_experimental ');
    const spans = await spansOf();
    expect(spans.filter((s) => s.name === 'llm').map((s) => s.attributes['gen_ai.system'])).toEqual([
      undefined,
      undefined,
    ]);
    expect(spans.find((s) => s.name === 'llm')!.attributes['gen_ai.provider.name']).toBe('openai');
  });

  it('the semconvStabilityOptIn option overrides the variable', async () => {
    vi.stubEnv('OTEL_SEMCONV_STABILITY_OPT_IN', GEN_AI_LATEST_EXPERIMENTAL);
    expect(await systems({ semconvStabilityOptIn: '' })).toEqual(['openai', 'openai']);
  });
});

/**
 * Real `AgentSession`s driven by text (research §4, recipe A): `session.run()` turns, a failing LLM,
 * and a session closed before any turn. No LiveKit server, no audio.
 */
import { Agent, AgentSession, initializeLogger, llm, voice } from '@livekit/agents';
import { SpanStatusCode } from '@opentelemetry/api';
import { instrumentAgentSession } from '@voxtrace/livekit';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FailingLLM } from '../../../examples/livekit/fakes.mjs';
import { durationMs, listenerCounts, ms, recordLiveKit, SpanTree, testVoxtrace } from './support/harness.js';

const EVENT_NAMES = [
  'user_input_transcribed',
  'user_transcription_timeout',
  'agent_state_changed',
  'user_state_changed',
  'conversation_item_added',
  'function_tools_executed',
  'metrics_collected',
  'session_usage_updated',
  'speech_created',
  'eot_prediction',
  'error',
  'close',
];

beforeAll(() => initializeLogger({ pretty: false, level: 'silent' }));

describe('text-only session.run() turns', () => {
  it('makes one user turn per run(), with the LLM calls, the tool call and no speech latency', async () => {
    const { vt, exporter, diagnostics } = testVoxtrace();
    const session = new AgentSession({
      llm: new voice.testing.FakeLLM([
        { input: 'hello', content: 'Hi there!', ttft: 60, duration: 120 },
        { input: 'weather in Paris?', toolCalls: [{ name: 'get_weather', args: { city: 'Paris' } }] },
        { input: '"sunny, 21C"', content: 'It is sunny and 21C.' },
      ]),
      vad: null,
      turnHandling: { turnDetection: 'manual' },
    });
    const lk = recordLiveKit(session);
    instrumentAgentSession(session, vt, { conversationId: 'lk-text-1', attributes: { tenant: 'acme' } });
    const getWeather = llm.tool({
      description: 'weather',
      parameters: z.object({ city: z.string() }),
      execute: async () => 'sunny, 21C',
    });
    await session.start({ agent: new Agent({ instructions: 'test', tools: { get_weather: getWeather } }) });
    await session.run({ userInput: 'hello' }).wait();
    const run = await session.run({ userInput: 'weather in Paris?' }).wait();
    run.expect.nextEvent().isFunctionCall({ name: 'get_weather' });
    await session.close();

    const tree = new SpanTree(exporter.getFinishedSpans());
    const conversation = tree.one('conversation');
    expect(conversation.attributes['conversation.id']).toBe('lk-text-1');
    expect(conversation.attributes['voice.platform']).toBe('livekit');
    expect(conversation.attributes.tenant).toBe('acme');
    expect(conversation.attributes['voice.call.outcome']).toBe('completed');
    const turns = tree.turns();
    expect(turns).toHaveLength(2);
    for (const [i, turn] of turns.entries()) {
      expect(turn.attributes['turn.initiator']).toBe('user');
      expect(turn.attributes['livekit.input_modality']).toBe('text');
      // LiveKit measures no e2eLatency for typed input, and neither does voxtrace.
      expect(lk.assistant[i]!.metrics.e2eLatency).toBeUndefined();
      expect(turn.attributes['turn.e2e_latency_ms']).toBeUndefined();
      expect(ms(turn.startTime)).toBe(lk.user[i]!.createdAt);
    }
    expect(tree.children(turns[0]!).map((s) => s.name)).toEqual(['llm']);
    expect(tree.children(turns[1]!).map((s) => s.name)).toEqual(['llm', 'tool_call', 'llm']);
    const [llmSpan] = tree.children(turns[0]!, 'llm');
    expect(llmSpan!.attributes['llm.ttft_ms']).toBeGreaterThanOrEqual(0);
    // FakeLLM reports no usage: no token counts rather than zeros.
    expect(llmSpan!.attributes['gen_ai.usage.input_tokens']).toBeUndefined();
    const tool = tree.children(turns[1]!, 'tool_call')[0]!;
    const [call, output] = [lk.tools[0]!.functionCalls[0]!, lk.tools[0]!.functionCallOutputs[0]!];
    expect(durationMs(tool)).toBe(output.createdAt - call.createdAt);
    expect(tool.attributes['gen_ai.tool.call.id']).toBe(call.callId);
    expect(diagnostics).toEqual([]);
    await vt.shutdown();
  });
});

describe('an LLM that throws', () => {
  /** Runs one failing reply; returns how the session closed and what it kept. */
  async function failingSession(instrument: boolean) {
    const { vt, exporter } = testVoxtrace();
    const session = new AgentSession({
      llm: new FailingLLM(),
      vad: null,
      turnHandling: { turnDetection: 'manual' },
      connOptions: { maxUnrecoverableErrors: 0 },
    });
    const lk = recordLiveKit(session);
    if (instrument) instrumentAgentSession(session, vt, { conversationId: `lk-fail-${instrument}` });
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    session.generateReply({ userInput: 'hello' });
    const close = await lk.closed;
    await session.close(); // closing a closed session still resolves
    const tree = new SpanTree(exporter.getFinishedSpans());
    await vt.shutdown();
    return {
      close: { reason: close.reason, error: close.error?.type, recoverable: close.error?.recoverable },
      history: session.history.items.map((i) =>
        i.type === 'message' ? `${i.role}:${i.textContent}` : i.type,
      ),
      tree,
    };
  }

  it("records an error span and outcome error, and leaves LiveKit's close semantics as they were", async () => {
    const plain = await failingSession(false);
    const traced = await failingSession(true);
    expect(plain.close).toEqual({ reason: 'error', error: 'llm_error', recoverable: false });
    expect(traced.close).toEqual(plain.close);
    expect(traced.history).toEqual(plain.history);

    const conversation = traced.tree.one('conversation');
    expect(conversation.attributes['voice.call.outcome']).toBe('error');
    expect(conversation.attributes['livekit.close.reason']).toBe('error');
    expect(conversation.status.code).toBe(SpanStatusCode.ERROR);
    const turn = traced.tree.one('turn');
    expect(turn.status.code).toBe(SpanStatusCode.ERROR);
    expect(turn.attributes['turn.error_layers']).toEqual(['llm']);
    expect(turn.attributes['livekit.error.type']).toBe('llm_error');
    const llmSpan = traced.tree.one('llm');
    expect(llmSpan.status.code).toBe(SpanStatusCode.ERROR);
    expect(llmSpan.attributes['component.error']).toContain('upstream LLM unavailable');
    expect(llmSpan.attributes['component.cancelled']).toBe(true);
    const errorEvent = turn.events.find((e) => e.name === 'voice.error');
    expect(errorEvent?.attributes).toMatchObject({ layer: 'llm', recoverable: false });
  });
});

describe('a session closed before any turn', () => {
  it('ends the conversation with no turns, outcome abandoned, and no listeners left', async () => {
    const { vt, exporter, diagnostics } = testVoxtrace();
    const session = new AgentSession({ llm: new voice.testing.FakeLLM(), vad: null });
    const before = listenerCounts(session, EVENT_NAMES);
    const { conversation } = instrumentAgentSession(session, vt, {
      jobContext: { job: { id: 'AJ_test', agentName: 'support', room: { sid: 'RM_test', name: 'call-42' } } },
    });
    expect(listenerCounts(session, EVENT_NAMES)).not.toEqual(before);
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    await session.close();

    expect(conversation.ended).toBe(true);
    expect(listenerCounts(session, EVENT_NAMES)).toEqual(before);
    const tree = new SpanTree(exporter.getFinishedSpans());
    await vt.shutdown();
    const span = tree.one('conversation');
    expect(tree.named('turn')).toHaveLength(0);
    expect(span.attributes).toMatchObject({
      'conversation.id': 'RM_test',
      'livekit.room.sid': 'RM_test',
      'livekit.room.name': 'call-42',
      'livekit.job.id': 'AJ_test',
      'livekit.agent.name': 'support',
      'voice.call.outcome': 'abandoned',
      'voice.turn.count': 0,
      'livekit.close.reason': 'user_initiated',
    });
    expect(diagnostics).toEqual([]);
  });

  it('lets the caller decide the outcome on close', async () => {
    const { vt, exporter } = testVoxtrace();
    const session = new AgentSession({ llm: new voice.testing.FakeLLM(), vad: null });
    instrumentAgentSession(session, vt, {
      onClose: (ev) => ({
        outcome: 'transferred',
        taskCompleted: true,
        attributes: { why: String(ev.reason) },
      }),
    });
    await session.start({ agent: new Agent({ instructions: 'test' }) });
    await session.close();
    expect(new SpanTree(exporter.getFinishedSpans()).one('conversation').attributes).toMatchObject({
      'voice.call.outcome': 'transferred',
      'voice.call.task_completed': true,
      why: 'user_initiated',
    });
    await vt.shutdown();
  });
});

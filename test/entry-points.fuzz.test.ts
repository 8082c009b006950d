/**
 * No throw while calls run: every function an agent calls per call or per event, and every callback
 * an adapter hands to a platform, is driven with arbitrary values, not only JSON: `null`, numbers,
 * symbols, BigInt, proxies and getters that throw (an `Error`, or a value that cannot even be printed),
 * revoked proxies, circular and frozen objects, 1 MB strings, functions, Maps and Sets, planted into
 * valid payloads or instead of them (`hostileValue`, `withHostile` in `helpers/mutate.ts`; the JSON
 * attacks on the webhook handlers are in `webhooks.fuzz.test.ts`).
 *
 * Whatever arrives: no exception reaches the caller, no promise rejects unhandled, and the same
 * voxtrace instance still records a clean call correctly afterwards. Configured sinks and callbacks
 * are hostile too: a sink that throws unprintable values, a receiver that is a throwing proxy, an
 * `onDiagnostic` that throws.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConversationRecord, createVoxtrace, type Voxtrace, type VoxtraceSink } from '@voxtrace/core';
import { instrumentAgentSession } from '@voxtrace/livekit';
import {
  createPipecatBridge,
  listenForPipecat,
  type PipecatTransportLike,
  wrapPipecatTransport,
} from '@voxtrace/pipecat-bridge';
import { createRetellWebhookHandler, instrumentRetellLlmSocket, observeRetellEvent } from '@voxtrace/retell';
import {
  createVapiWebhookHandler,
  instrumentVapiWebClient,
  observeVapiMessage,
  observeVapiResponse,
} from '@voxtrace/vapi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostileValue, withHostile } from './helpers/mutate.js';

const RUNS = 2000;
const TIMEOUT = 180_000;
const T0 = 1_763_700_000_000;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = (name: string) => JSON.parse(readFileSync(path.join(repoRoot, 'fixtures', name), 'utf8'));

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** A value that throws whatever is done with it, for the hostile sinks and callbacks. */
const unprintable = () => {
  const boom = () => {
    throw { toString: () => 'never printed' };
  };
  return { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom };
};

/** voxtrace with hostile company: a sink that throws unprintable values, one whose receiver is a throwing proxy, an onDiagnostic that throws. */
function hostileInstance(): Voxtrace {
  const throwing: VoxtraceSink = {
    startConversation: () => {
      throw unprintable();
    },
  };
  const proxied: VoxtraceSink = {
    startConversation: () =>
      new Proxy(
        {},
        {
          get() {
            throw unprintable();
          },
        },
      ),
  };
  return createVoxtrace({
    otlp: false,
    sinks: [throwing, proxied],
    onDiagnostic: () => {
      throw unprintable();
    },
  });
}

/** A clean call still gives the right record after the attack. */
function expectCleanCall(vt: Voxtrace, id: string): void {
  const conv = vt.startConversation({ id, startedAt: T0 });
  conv.record({ type: 'user.speech.started', at: T0 });
  conv.record({ type: 'user.speech.ended', at: T0 + 1000 });
  conv.record({ type: 'stt.final', at: T0 + 1100, transcript: 'hello' });
  conv.record({ type: 'agent.speech.started', at: T0 + 1800 });
  conv.record({ type: 'agent.speech.ended', at: T0 + 2500 });
  const record: ConversationRecord = conv.end({ endedAt: T0 + 3000 });
  expect(record).toMatchObject({ id, turnCount: 1, outcome: 'completed', stats: { invalid: 0 } });
  expect(record.turns[0]!.e2eLatencyMs).toBe(800);
}

/** An event emitter as the platforms' SDKs have them; the test calls the listeners directly. */
class FakeEmitter {
  readonly listeners = new Map<string, ((...args: unknown[]) => void)[]>();
  on(event: string, fn: (...args: unknown[]) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return this;
  }
  prependListener(event: string, fn: (...args: unknown[]) => void): this {
    this.listeners.set(event, [fn, ...(this.listeners.get(event) ?? [])]);
    return this;
  }
  off(event: string, fn: (...args: unknown[]) => void): this {
    this.listeners.set(
      event,
      (this.listeners.get(event) ?? []).filter((f) => f !== fn),
    );
    return this;
  }
  removeListener(event: string, fn: (...args: unknown[]) => void): this {
    return this.off(event, fn);
  }
  send(..._data: unknown[]): void {}
  /** Calls every listener of `event` with `args`; returns whether any was registered. */
  emit(event: string, ...args: unknown[]): boolean {
    const fns = this.listeners.get(event) ?? [];
    for (const fn of fns) fn(...args);
    return fns.length > 0;
  }
}

const noThrow = (fn: () => unknown): void => {
  expect(fn).not.toThrow();
};

// ---- core -----------------------------------------------------------------------------------------

const EVENTS = [
  { type: 'user.speech.started', at: T0 },
  { type: 'user.speech.ended', at: T0 + 1000 },
  { type: 'stt.final', at: T0 + 1100, transcript: 'my number is 555 0100', attributes: { k: 'v' } },
  { type: 'llm.started', at: T0 + 1200, provider: 'openai', model: 'gpt-4o-mini', input: 'hi' },
  { type: 'tool.started', at: T0 + 1300, name: 'lookup', callId: 't1', arguments: { q: 'x' } },
  { type: 'tool.ended', at: T0 + 1400, name: 'lookup', callId: 't1', result: { ok: true } },
  { type: 'llm.ended', at: T0 + 1500, output: 'sure', error: 'upstream 503' },
  { type: 'error', at: T0 + 1600, layer: 'tts', message: 'voice failed', recoverable: true },
  { type: 'agent.speech.started', at: T0 + 1800 },
];
const START = {
  id: 'c',
  platform: 'custom',
  startedAt: T0,
  attributes: { a: 1 },
  turnContinuation: 'until_agent_audio',
};
const END = { outcome: 'completed', taskCompleted: true, endedAt: T0 + 5000, attributes: { b: 'x' } };

describe('core per-call functions', () => {
  it(
    `${RUNS} calls with hostile options, events, attributes and end options: never a throw`,
    () => {
      const vt = hostileInstance();
      let n = 0;
      fc.assert(
        fc.property(
          withHostile(START),
          fc.tuple(...EVENTS.map((e) => withHostile(e, 2))),
          withHostile({ c: true, d: 'text' }),
          withHostile(END),
          hostileValue,
          (...hostile) => {
            const [start, events, attributes, end, other] = [
              hostile[0].make(),
              hostile[1].map((e) => e.make()),
              hostile[2].make(),
              hostile[3].make(),
              hostile[4].make(),
            ];
            const id = `fuzz-${n++}`;
            // Half the runs start with the hostile options (an unusable id gets a new one), half cleanly.
            const conv = vt.startConversation((n % 2 === 0 ? start : { ...START, id }) as never);
            noThrow(() => vt.startConversation(start as never));
            for (const e of events) noThrow(() => conv.record(e as never));
            noThrow(() => conv.setAttributes(attributes as never));
            noThrow(() => conv.end(end as never));
            noThrow(() => conv.end(other as never));
            noThrow(() => vt.getConversation(other as never));
            noThrow(() => vt.diagnose(other as never));
            noThrow(() => vt.on(other as never, other as never)());
            noThrow(() => vt.on('turn', other as never)());
            noThrow(() => vt.addSink(other as never)());
            noThrow(() => vt.tick());
          },
        ),
        { numRuns: RUNS },
      );
      expect(vt.stats().diagnostics.invalid_argument).toBeGreaterThan(0);
      expect(vt.stats().diagnostics.invalid_event).toBeGreaterThan(0);
      expectCleanCall(vt, 'after-core');
      return vt.shutdown();
    },
    TIMEOUT,
  );
});

// ---- adapters -------------------------------------------------------------------------------------

const VAPI = [
  'vapi/vapi-end-of-call-report.json',
  'vapi/vapi-speech-update.json',
  'vapi/vapi-status-update-in-progress.json',
  'vapi/vapi-status-update-ended.json',
  'vapi/vapi-tool-calls.json',
].map(fixture);
const RETELL = fixture('retell/retell-call_analyzed.json');
const RETELL_FRAMES = readFileSync(
  path.join(repoRoot, 'fixtures/retell/retell-custom-llm-ws-session.jsonl'),
  'utf8',
)
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { dir: string; msg: unknown });

describe('adapters per-event entry points', () => {
  it(
    `observeVapiMessage and observeVapiResponse: ${RUNS} hostile bodies, responses and options`,
    () => {
      const vt = hostileInstance();
      fc.assert(
        fc.property(
          fc.nat(VAPI.length - 1).chain((i) => withHostile(VAPI[i])),
          hostileValue,
          fc.option(hostileValue),
          (b, r, o) => {
            const [body, response, options] = [b.make(), r.make(), o?.make()];
            noThrow(() => observeVapiMessage(vt, body, options as never));
            noThrow(() => observeVapiResponse(vt, body, response, options as never));
          },
        ),
        { numRuns: RUNS },
      );
      expectCleanCall(vt, 'after-vapi');
      return vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    `the Vapi web client's listeners: ${RUNS} hostile SDK events`,
    () => {
      const vt = hostileInstance();
      const client = new FakeEmitter();
      const instrumentation = instrumentVapiWebClient(client, vt);
      const names = [...client.listeners.keys()];
      expect(names.length).toBeGreaterThan(3);
      fc.assert(
        fc.property(
          fc.constantFrom(...names),
          fc.array(fc.oneof(hostileValue, withHostile({ type: 'transcript', role: 'user' })), {
            maxLength: 3,
          }),
          (name, args) => {
            noThrow(() => client.emit(name, ...args.map((a) => a.make())));
          },
        ),
        { numRuns: RUNS },
      );
      noThrow(() => instrumentation.stop());
      expectCleanCall(vt, 'after-vapi-web');
      return vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    `observeRetellEvent: ${RUNS} hostile bodies (objects, text, bytes)`,
    () => {
      const vt = hostileInstance();
      fc.assert(
        fc.property(
          fc.oneof(
            withHostile(RETELL),
            withHostile({ event: 'call_started', call: { ...RETELL.call, call_status: 'ongoing' } }),
          ),
          (b) => {
            const body = b.make();
            noThrow(() => observeRetellEvent(vt, body));
            noThrow(() => observeRetellEvent(vt, body, body as never));
          },
        ),
        { numRuns: RUNS },
      );
      expectCleanCall(vt, 'after-retell');
      return vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    `the Retell LLM socket's listeners: ${RUNS} hostile frames, sends and closes`,
    () => {
      const vt = hostileInstance();
      let n = 0;
      fc.assert(
        fc.property(
          fc.array(
            fc.oneof(
              fc
                .nat(RETELL_FRAMES.length - 1)
                .chain((i) =>
                  withHostile(RETELL_FRAMES[i]!.msg).map((m) => ({ dir: RETELL_FRAMES[i]!.dir, m })),
                ),
              hostileValue.map((m) => ({ dir: 'retell->server', m })),
            ),
            { maxLength: 6 },
          ),
          hostileValue,
          (frames, c) => {
            const close = c.make();
            const ws = new FakeEmitter();
            noThrow(() => instrumentRetellLlmSocket(ws as never, vt, { callId: `retell-ws-${n++}` }));
            for (const { dir, m: made } of frames) {
              const m = made.make();
              let text: unknown = m;
              try {
                text = JSON.stringify(m) ?? m;
              } catch {
                // Sent as it is.
              }
              if (dir === 'retell->server') noThrow(() => ws.emit('message', text, false));
              else noThrow(() => ws.send(text));
            }
            noThrow(() => ws.emit('message', close, true));
            noThrow(() => ws.emit('close', close, close));
          },
        ),
        { numRuns: RUNS },
      );
      expectCleanCall(vt, 'after-retell-ws');
      return vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    `LiveKit AgentSession listeners: ${RUNS} hostile session events`,
    () => {
      const vt = hostileInstance();
      const payloads: Record<string, object> = {
        user_state_changed: { oldState: 'listening', newState: 'speaking', createdAt: T0 },
        agent_state_changed: { oldState: 'thinking', newState: 'speaking', createdAt: T0 + 900 },
        user_input_transcribed: { transcript: 'hello', isFinal: true, createdAt: T0 + 500, language: 'en' },
        user_transcription_timeout: { createdAt: T0 },
        conversation_item_added: {
          item: { type: 'message', role: 'user', content: ['hello'], metrics: { stoppedSpeakingAt: T0 } },
          createdAt: T0,
        },
        function_tools_executed: {
          functionCalls: [{ name: 'f', callId: 'c', args: '{}' }],
          functionCallOutputs: [],
        },
        metrics_collected: { metrics: { type: 'llm_metrics', ttftMs: 200, durationMs: 500, timestamp: T0 } },
        speech_created: { speechHandle: { id: 's', addDoneCallback() {} }, source: 'generate_reply' },
        eot_prediction: { probability: 0.9, createdAt: T0 },
        error: { error: { message: 'boom', recoverable: true }, source: {}, createdAt: T0 },
        close: { reason: 'user_initiated', error: null, createdAt: T0 + 5000 },
      };
      let n = 0;
      fc.assert(
        fc.property(
          fc.array(
            fc
              .constantFrom(...Object.keys(payloads))
              .chain((name) => fc.tuple(fc.constant(name), withHostile(payloads[name]))),
            { maxLength: 8 },
          ),
          (events) => {
            const session = new FakeEmitter();
            const { detach } = instrumentAgentSession(session as never, vt, { conversationId: `lk-${n++}` });
            for (const [name, payload] of events) noThrow(() => session.emit(name, payload.make()));
            noThrow(() => detach());
          },
        ),
        { numRuns: RUNS },
      );
      expectCleanCall(vt, 'after-livekit');
      return vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    `the Pipecat bridge and transport tee: ${RUNS} hostile messages, metadata and ends`,
    () => {
      const vt = hostileInstance();
      const bridge = createPipecatBridge(vt);
      let handler: ((m: unknown) => void) | undefined;
      let callbacks: { onDisconnected?: () => void } | undefined;
      const transport: PipecatTransportLike = {
        initialize(options, h) {
          handler = h as (m: unknown) => void;
          callbacks = (options as { callbacks?: typeof callbacks })?.callbacks;
        },
      } as PipecatTransportLike;
      wrapPipecatTransport(transport, bridge).initialize(
        { callbacks: { onDisconnected() {} } } as never,
        () => {},
      );
      const rtvi = { label: 'rtvi-ai', type: 'bot-llm-text', data: { text: 'hi' } };
      fc.assert(
        fc.property(withHostile(rtvi), hostileValue, hostileValue, (...hostile) => {
          const [message, meta, other] = hostile.map((h) => h.make());
          noThrow(() => bridge.ingest(message, meta as never));
          noThrow(() => bridge.ingest(message, { conversationId: 'pc', receivedAt: other } as never));
          noThrow(() => handler!(message));
          noThrow(() => bridge.end(other as never, meta as never));
          noThrow(() => callbacks?.onDisconnected?.());
          noThrow(() => bridge.stats());
        }),
        { numRuns: RUNS },
      );
      noThrow(() => bridge.close());
      expectCleanCall(vt, 'after-pipecat');
      return vt.shutdown();
    },
    TIMEOUT,
  );
});

// ---- construction ---------------------------------------------------------------------------------

describe('configuration mistakes fail fast, at construction, with a clear message', () => {
  const vt = createVoxtrace({ otlp: false });
  const cases: [string, () => unknown, RegExp][] = [
    [
      'createVoxtrace(null)',
      () => createVoxtrace(null as never),
      /createVoxtrace: options must be an object, got null/,
    ],
    [
      'an unknown content mode',
      () => createVoxtrace({ content: 'bogus' as never }),
      /content\.mode must be 'redacted', 'none' or 'full', got bogus/,
    ],
    [
      'a flush timeout that is not a number',
      () => createVoxtrace({ flushTimeoutMs: 'x' as never }),
      /flushTimeoutMs/,
    ],
    ['a negative conversation cap', () => createVoxtrace({ maxConversations: -1 }), /maxConversations/],
    ['a NaN idle timeout', () => createVoxtrace({ idleTimeoutMs: Number.NaN }), /idleTimeoutMs/],
    [
      'a sink without startConversation',
      () => createVoxtrace({ sinks: [null as never] }),
      /sinks\.0: a sink needs a startConversation method/,
    ],
    [
      'onDiagnostic that is not a function',
      () => createVoxtrace({ onDiagnostic: 'log' as never }),
      /onDiagnostic must be a function/,
    ],
    [
      'a Vapi handler without auth',
      () => createVapiWebhookHandler(vt, {} as never),
      /createVapiWebhookHandler: no credential configured/,
    ],
    [
      'a Vapi handler without voxtrace',
      () => createVapiWebhookHandler(null as never, { auth: { type: 'none' } }),
      /createVapiWebhookHandler: the voxtrace argument/,
    ],
    [
      'a Retell handler with null options',
      () => createRetellWebhookHandler(vt, null as never),
      /createRetellWebhookHandler: options must be an object/,
    ],
    [
      'a Retell handler without apiKey',
      () => createRetellWebhookHandler(vt, {} as never),
      /createRetellWebhookHandler: apiKey is undefined/,
    ],
    [
      'a Pipecat bridge with null options',
      () => createPipecatBridge(vt, null as never),
      /createPipecatBridge: options must be an object/,
    ],
    [
      'a Pipecat listener on no bridge',
      () => listenForPipecat(null as never, { token: 'x'.repeat(16) }),
      /listenForPipecat: the first argument/,
    ],
    [
      'a LiveKit session that is not one',
      () => instrumentAgentSession(null as never, vt),
      /instrumentAgentSession: the session must be/,
    ],
    [
      'a Vapi web client that is not one',
      () => instrumentVapiWebClient({} as never, vt),
      /instrumentVapiWebClient: the client must be/,
    ],
    [
      'a Retell socket without callId',
      () => instrumentRetellLlmSocket(new FakeEmitter() as never, vt, {} as never),
      /options.callId is required/,
    ],
  ];
  for (const [name, make, message] of cases)
    it(name, async () => {
      // listenForPipecat is async: its refusal is a rejection at setup, the same way.
      await expect((async () => make())()).rejects.toThrow(message);
    });
});

/**
 * The client-js tee against the real `@pipecat-ai/client-js` (a dev dependency only): a transport
 * built on its `Transport` base class delivers the fixture's messages as a Daily or WebSocket
 * transport would, and the bridge must see all of them, including the types the client drops.
 */
import {
  PipecatClient,
  type PipecatClientOptions,
  type RTVIEventCallbacks,
  type RTVIMessage,
  Transport,
  type TransportState,
} from '@pipecat-ai/client-js';
import {
  attachToPipecatClient,
  constructPipecatClient,
  wrapPipecatTransport,
} from '@voxtrace/pipecat-bridge';
import { describe, expect, it } from 'vitest';
import { BASE, F1, fixture, setup } from './helpers.js';

/** A transport that hands the client whatever the test gives it, as real transports do. */
class ScriptedTransport extends Transport {
  initialize(options: PipecatClientOptions, messageHandler: (ev: RTVIMessage) => void): void {
    this._options = options;
    this._callbacks = options.callbacks ?? {};
    this._onMessage = messageHandler;
  }
  deliver(message: unknown): void {
    this._onMessage(message as RTVIMessage);
  }
  drop(): void {
    this._callbacks.onDisconnected?.();
  }
  initDevices = async () => {};
  _validateConnectionParams = (p?: unknown) => p;
  _connect = async () => {};
  _disconnect = async () => {};
  sendReadyMessage(): void {}
  get state(): TransportState {
    return this._state;
  }
  set state(s: TransportState) {
    this._state = s;
  }
  getAllMics = async () => [];
  getAllCams = async () => [];
  getAllSpeakers = async () => [];
  updateMic(): void {}
  updateCam(): void {}
  updateSpeaker(): void {}
  get selectedMic() {
    return {};
  }
  get selectedCam() {
    return {};
  }
  get selectedSpeaker() {
    return {};
  }
  enableMic(): void {}
  enableCam(): void {}
  enableScreenShare(): void {}
  get isCamEnabled() {
    return false;
  }
  get isMicEnabled() {
    return true;
  }
  get isSharingScreen() {
    return false;
  }
  sendMessage(): void {}
  tracks() {
    return { local: {} };
  }
}

/** The client, as an app outside the browser builds it (client-js reads `window` when constructed). */
const newClient = (options: PipecatClientOptions) => constructPipecatClient(() => new PipecatClient(options));

/** A clock the test moves: the tee stamps each message with it. */
function clock() {
  let now = BASE;
  return { now: () => now, set: (ms: number) => (now = BASE + ms) };
}

function counting(): { callbacks: RTVIEventCallbacks; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const bump = (k: string) => () => {
    counts[k] = (counts[k] ?? 0) + 1;
  };
  return {
    counts,
    callbacks: {
      onBotReady: bump('botReady'),
      onUserTranscript: bump('userTranscript'),
      onBotStartedSpeaking: bump('botStartedSpeaking'),
      onMetrics: bump('metrics'),
    },
  };
}

describe('attachToPipecatClient', () => {
  it('tees every raw message of a constructed client, then lets the client handle it', async () => {
    const { bridge, vt } = setup();
    const records: { id: string; turns: number; latencies: (number | null)[] }[] = [];
    vt.on('conversation', (r) =>
      records.push({ id: r.id, turns: r.turnCount, latencies: r.turns.map((t) => t.e2eLatencyMs) }),
    );
    const transport = new ScriptedTransport();
    const { callbacks, counts } = counting();
    const client = newClient({ transport, callbacks });
    const time = clock();
    const detach = attachToPipecatClient(client, bridge, { conversationId: 'browser-1', now: time.now });

    const events = fixture(F1);
    for (const e of events) {
      time.set(e.at_ms);
      transport.deliver(e.message);
    }
    // The client still got its callbacks…
    expect(counts).toMatchObject({ botReady: 1, botStartedSpeaking: 3, userTranscript: 5 });
    // …and the bridge got every message, including bot-interrupted, for which client-js has no case.
    expect(bridge.stats().received).toBe(events.length);
    transport.drop(); // the client emits 'disconnected': the conversation ends
    expect(records).toEqual([{ id: 'browser-1', turns: 3, latencies: [null, 2060, 750] }]);

    detach();
    transport.deliver({ label: 'rtvi-ai', type: 'bot-ready', data: { version: '2.1.0' } });
    expect(counts.botReady).toBe(2);
    expect(bridge.stats().received).toBe(events.length);
  });

  it('starts a new conversation per connection when given an id function', () => {
    const { bridge, vt } = setup();
    const ids: string[] = [];
    vt.on('conversation', (r) => ids.push(r.id));
    const transport = new ScriptedTransport();
    const client = newClient({ transport });
    let n = 0;
    attachToPipecatClient(client, bridge, { conversationId: () => `call-${++n}` });
    for (const _ of [1, 2]) {
      transport.deliver({ label: 'rtvi-ai', type: 'user-started-speaking' });
      transport.drop();
    }
    expect(ids).toEqual(['call-1', 'call-2']);
  });

  it('refuses, at setup, a transport that holds no message handler', () => {
    const { bridge } = setup();
    expect(() => attachToPipecatClient({ transport: {} }, bridge)).toThrow(/wrapPipecatTransport/);
  });
});

describe('wrapPipecatTransport', () => {
  it('tees a transport before the client is constructed, and ends on disconnect', () => {
    const { bridge, vt } = setup();
    const records: { id: string; latencies: (number | null)[] }[] = [];
    vt.on('conversation', (r) => records.push({ id: r.id, latencies: r.turns.map((t) => t.e2eLatencyMs) }));
    const time = clock();
    const transport = wrapPipecatTransport(new ScriptedTransport(), bridge, { now: time.now });
    const { callbacks, counts } = counting();
    newClient({ transport, callbacks });
    for (const e of fixture(F1)) {
      time.set(e.at_ms);
      transport.deliver(e.message);
    }
    expect(counts.botReady).toBe(1);
    transport.drop();
    expect(records).toHaveLength(1);
    expect(records[0]!.id).toMatch(/^pipecat-/);
    expect(records[0]!.latencies).toEqual([null, 2060, 750]);
  });
});

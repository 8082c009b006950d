/**
 * The documented Node path (Node, Electron main, SSR) with the real `@pipecat-ai/client-js` client: no
 * `window` anywhere, a transport built on the client's public `Transport` class that receives the bot's
 * RTVI messages over a WebSocket on 127.0.0.1, `client.connect()` and `client.disconnect()` as an app calls
 * them.
 */
import type { AddressInfo } from 'node:net';
import {
  PipecatClient,
  type PipecatClientOptions,
  type RTVIMessage,
  Transport,
  type TransportState,
} from '@pipecat-ai/client-js';
import { attachToPipecatClient, constructPipecatClient } from '@voxtrace/pipecat-bridge';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { BASE, F1, fixture, setup } from './helpers.js';

/**
 * A WebSocket transport: connects to `{ url }`, hands every RTVI message to the client. The test server
 * sends `{ at_ms, message }`: the transport moves the test clock to `at_ms` before handing `message` on,
 * so receive times are the fixture's.
 */
class LoopbackTransport extends Transport {
  private ws: WebSocket | null = null;

  constructor(private readonly clock: { set(ms: number): void }) {
    super();
  }

  initialize(options: PipecatClientOptions, messageHandler: (ev: RTVIMessage) => void): void {
    this._options = options;
    this._callbacks = options.callbacks ?? {};
    this._onMessage = messageHandler;
  }
  initDevices = async () => {};
  _validateConnectionParams = (p?: unknown) => p;
  async _connect(params?: unknown): Promise<void> {
    const { url } = params as { url: string };
    this.state = 'connecting';
    const ws = new WebSocket(url);
    await new Promise<void>((ok, fail) => {
      ws.once('open', () => ok());
      ws.once('error', fail);
    });
    this.ws = ws;
    ws.on('message', (data) => {
      const { at_ms, message } = JSON.parse(String(data)) as { at_ms: number; message: RTVIMessage };
      this.clock.set(at_ms);
      this._onMessage(message);
    });
    ws.on('close', () => {
      this.state = 'disconnected';
      this._callbacks.onDisconnected?.();
    });
    this.state = 'connected';
    this._callbacks.onConnected?.();
  }
  async _disconnect(): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((ok) => {
      ws.once('close', () => ok());
      ws.close();
    });
  }
  sendReadyMessage(): void {
    this.sendMessage({ label: 'rtvi-ai', type: 'client-ready', id: 'ready-1', data: { version: '1.1.0' } });
  }
  sendMessage(message: RTVIMessage | Record<string, unknown>): void {
    this.ws?.send(JSON.stringify(message));
  }
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
  tracks() {
    return { local: {} };
  }
}

/** A bot on 127.0.0.1: after `client-ready`, sends the fixture's messages. */
async function fakeBot(events: { at_ms: number; message: unknown }[]) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((ok) => wss.once('listening', () => ok()));
  const fromClient: string[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string };
      fromClient.push(m.type);
      if (m.type === 'client-ready') for (const e of events) ws.send(JSON.stringify(e));
    });
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    fromClient,
    close: () => new Promise<void>((ok) => wss.close(() => ok())),
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('the client tee in Node with the real PipecatClient', () => {
  it('client-js 1.x cannot be constructed here without help (why constructPipecatClient exists)', () => {
    expect('window' in globalThis).toBe(false);
    expect(() => new PipecatClient({ transport: new LoopbackTransport({ set: () => {} }) })).toThrow(
      /window is not defined/,
    );
  });

  it('constructPipecatClient + attachToPipecatClient: connect, the bot talks over 127.0.0.1, disconnect', async () => {
    const events = fixture(F1);
    const bot = await fakeBot(events);
    cleanup.push(bot.close);
    const { bridge, vt, diagnostics } = setup();
    cleanup.push(() => vt.shutdown());
    const records: { id: string; turns: number; latencies: (number | null)[] }[] = [];
    vt.on('conversation', (r) =>
      records.push({ id: r.id, turns: r.turnCount, latencies: r.turns.map((t) => t.e2eLatencyMs) }),
    );
    let now = BASE;
    const transport = new LoopbackTransport({ set: (ms) => (now = BASE + ms) });
    let botReady = 0;
    const client = constructPipecatClient(
      () => new PipecatClient({ transport, callbacks: { onBotReady: () => void botReady++ } }),
    );
    // Nothing was left behind for the rest of the process.
    expect('window' in globalThis).toBe(false);
    attachToPipecatClient(client, bridge, { conversationId: 'node-1', now: () => now });

    await client.connect({ url: bot.url }); // resolves on bot-ready
    expect(botReady).toBe(1);
    expect(bot.fromClient).toContain('client-ready');
    await until(() => bridge.stats().received === events.length, 'every message');
    expect(records).toEqual([]);
    await client.disconnect();
    await until(() => records.length === 1, 'the conversation to end');

    expect(records).toEqual([{ id: 'node-1', turns: 3, latencies: [null, 2060, 750] }]);
    // Deprecated bot-transcription is ignored and counted, not reported; nothing else was dropped.
    expect(bridge.stats()).toMatchObject({ malformed: 0, ignoredTypes: { 'bot-transcription': 5 } });
    expect(diagnostics.filter((d) => d.code === 'adapter_error')).toEqual([]);
  });
});

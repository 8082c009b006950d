/**
 * Prompt exit: after `shutdown()` (or a server's `close()`), nothing of voxtrace keeps the process
 * alive. Each case runs a small agent process (`helpers/exit-child.mjs`, on the built packages, built
 * here when stale) that
 * never calls `process.exit()`, tells it to shut down, and measures the time from the shutdown call to
 * the process's exit: at most 6 s (the default `flushTimeoutMs` is 5 s), whatever the collector does
 * (refusing connections, answering 503 with or without `Retry-After`, hanging without answering) and
 * whatever the clients of voxtrace's servers do (keep-alive connections, an open WebSocket, half-sent
 * requests and handshakes).
 */
import { spawn } from 'node:child_process';
import { createServer, Agent as HttpAgent, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ensureBuilt } from './helpers/built.js';
import { closedPort } from './helpers/otlp-receiver.js';

beforeAll(ensureBuilt, 600_000);

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'helpers', 'exit-child.mjs');
const EXIT_WITHIN_MS = 6000;
const TIMEOUT = 60_000;

interface Message {
  event: 'ready' | 'shutdown' | 'resolved';
  at?: number;
  port?: number;
  stats?: {
    exportedSpans: number;
    failedSpans: number;
    abandonedExports: number;
    droppedSpans: Record<string, number>;
  };
  open?: number;
}

interface Child {
  ready: Promise<Message>;
  /** Tells the child to shut down; resolves with its messages, exit code and the ms from shutdown to exit. */
  shutdown(): Promise<{ messages: Message[]; code: number | null; exitMs: number }>;
}

/** Starts the child process of a scenario. */
function child(scenario: string, argument?: string): Child {
  const proc = spawn(process.execPath, [CHILD, scenario, ...(argument ? [argument] : [])], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages: Message[] = [];
  let stderr = '';
  let buffer = '';
  let onReady: (m: Message) => void = () => {};
  let onFailed: (e: Error) => void = () => {};
  const ready = new Promise<Message>((resolve, reject) => {
    onReady = resolve;
    onFailed = reject;
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout.on('data', (d: Buffer) => {
    buffer += d.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const m = JSON.parse(buffer.slice(0, i)) as Message;
      buffer = buffer.slice(i + 1);
      messages.push(m);
      if (m.event === 'ready') onReady(m);
    }
  });
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    proc.on('exit', (code) => {
      // A child that dies before it is ready fails the test at once, with what it said.
      onFailed(new Error(`the child exited (${code}) before it was ready: ${stderr}`));
      resolve({ code, at: Date.now() });
    }),
  );
  children.push(proc);
  return {
    ready,
    async shutdown() {
      proc.stdin.end('stop\n');
      const { code, at } = await exited;
      const shutdownAt = messages.find((m) => m.event === 'shutdown')?.at;
      if (shutdownAt === undefined) throw new Error(`the child never shut down; stderr: ${stderr}`);
      if (code !== 0) throw new Error(`the child exited with ${code}; stderr: ${stderr}`);
      return { messages, code, exitMs: at - shutdownAt };
    },
  };
}

const children: ReturnType<typeof spawn>[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
  for (const f of cleanups.splice(0)) f();
});

/** A collector on 127.0.0.1 that answers every request with `status` (and headers), or never answers. */
async function collector(behaviour: { status: number; headers?: Record<string, string> } | 'hang') {
  const stats = { requests: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      stats.requests++;
      if (behaviour !== 'hang') res.writeHead(behaviour.status, behaviour.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.closeAllConnections());
  cleanups.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, stats };
}

/** A raw connection that sends `text` and then nothing: a half-sent request or handshake. */
function halfSent(port: number, text: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(text);
      resolve(socket);
    });
    socket.on('error', reject);
    cleanups.push(() => socket.destroy());
  });
}

/** A GET over a keep-alive agent, leaving the connection open and idle. */
function keepAliveGet(port: number, urlPath: string): Promise<number> {
  const agent = new HttpAgent({ keepAlive: true });
  cleanups.push(() => agent.destroy());
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    })
      .on('error', reject)
      .end();
  });
}

describe('the process exits within 6 s of shutdown(), whatever the collector does', () => {
  const faults: [string, () => Promise<{ url: string; stats: { requests: number } } | { url: string }>][] = [
    ['refusing connections', async () => ({ url: `http://127.0.0.1:${await closedPort()}/v1/traces` })],
    ['answering 503 (exporter back-off)', () => collector({ status: 503 })],
    ['answering 503 with Retry-After: 4', () => collector({ status: 503, headers: { 'retry-after': '4' } })],
    ['hanging without answering', () => collector('hang')],
  ];
  for (const [name, start] of faults) {
    it(
      name,
      async () => {
        const c = await start();
        const agent = child('export', c.url);
        await agent.ready;
        // Let calls end and exports start (and fail, wait or hang) for a while.
        await new Promise((r) => setTimeout(r, 1500));
        const { messages, exitMs } = await agent.shutdown();
        expect(exitMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
        const stats = messages.find((m) => m.event === 'resolved')!.stats!;
        // Nothing was delivered, and what was not is counted (failed, dropped, abandoned).
        expect(stats.exportedSpans).toBe(0);
        expect(
          stats.failedSpans + stats.droppedSpans.queue_full! + stats.droppedSpans.shutdown!,
        ).toBeGreaterThan(0);
        if ('stats' in c) expect(c.stats.requests).toBeGreaterThan(0);
        if (name.startsWith('hanging')) expect(stats.abandonedExports).toBeGreaterThanOrEqual(1);
      },
      TIMEOUT,
    );
  }
});

describe("voxtrace's servers and timers do not hold the process after close()", () => {
  it(
    'the metrics handler on the agent server, with a keep-alive scraper',
    async () => {
      const agent = child('metrics');
      const { port } = await agent.ready;
      expect(await keepAliveGet(port!, '/metrics')).toBe(200);
      const { exitMs } = await agent.shutdown();
      expect(exitMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
    },
    TIMEOUT,
  );

  it(
    'the Pipecat listener, with a bot connected and a half-sent handshake',
    async () => {
      const agent = child('pipecat');
      const { port } = await agent.ready;
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
        headers: { authorization: 'Bearer exit-test-token-0123456789' },
      });
      cleanups.push(() => ws.terminate());
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      await halfSent(port!, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
      const { exitMs } = await agent.shutdown();
      expect(exitMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
    },
    TIMEOUT,
  );

  it(
    'the dev viewer, with a keep-alive page and a half-sent OTLP request',
    async () => {
      const agent = child('dev');
      const { port } = await agent.ready;
      expect(await keepAliveGet(port!, '/api/health')).toBe(200);
      await halfSent(
        port!,
        'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"resource',
      );
      const { exitMs } = await agent.shutdown();
      expect(exitMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
    },
    TIMEOUT,
  );

  it(
    'the connection to a dev viewer that never answers',
    async () => {
      const viewer = await collector('hang');
      const agent = child('connect', viewer.url.replace('/v1/traces', ''));
      await agent.ready;
      await new Promise((r) => setTimeout(r, 500));
      const { exitMs } = await agent.shutdown();
      expect(viewer.stats.requests).toBeGreaterThan(0);
      expect(exitMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
    },
    TIMEOUT,
  );

  it(
    "the Vapi and Retell adapters' call timers",
    async () => {
      const agent = child('adapters');
      const { open } = await agent.ready;
      expect(open).toBeGreaterThanOrEqual(2);
      const { messages, exitMs } = await agent.shutdown();
      expect(messages.find((m) => m.event === 'resolved')!.open).toBe(0);
      expect(exitMs).toBeLessThanOrEqual(EXIT_WITHIN_MS);
    },
    TIMEOUT,
  );
});

/**
 * `@voxtrace/core/http` over real sockets on 127.0.0.1: the intake's caps in bytes, time and concurrency,
 * credentials checked before the body, and the Node bridge that stops reading a refused body.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  bearerToken,
  createBodyIntake,
  DEFAULT_BODY_TIMEOUT_MS,
  type HeaderCheck,
  type IntakeOptions,
  resolveIntakeLimits,
  safeEqual,
  toNodeHandler,
} from '@voxtrace/core/http';
import { afterEach, describe, expect, it } from 'vitest';
import { rawRequest } from './support/raw-http.js';

const MIB = 1024 * 1024;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server whose handler receives every body through one intake; counts the bytes its sockets read. */
async function serve(
  options: IntakeOptions = {},
  receive: { check?: HeaderCheck; decompress?: boolean } = {},
) {
  const intake = createBodyIntake(resolveIntakeLimits(options, { maxBodyBytes: MIB }, 'test'));
  const sockets = new Set<Socket>();
  const server = createServer(
    toNodeHandler(async (request) => {
      const r = await intake.receive(request, receive);
      if (r.ok) return Response.json({ bytes: r.bytes.byteLength });
      const headers: Record<string, string> = {};
      if (r.retryAfterSeconds) headers['retry-after'] = String(r.retryAfterSeconds);
      return Response.json({ reason: r.reason }, { status: r.status, headers });
    }),
  );
  server.on('connection', (s) => sockets.add(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const bytesRead = () => [...sockets].reduce((n, s) => n + s.bytesRead, 0);
  return { port, intake, bytesRead };
}

const reason = (body: string) => (JSON.parse(body) as { reason: string }).reason;

describe('caps in bytes', () => {
  it('a declared Content-Length over the cap: 413 with a readable reason, the body not read', async () => {
    const { port, bytesRead } = await serve();
    const res = await rawRequest({ port, body: { total: 20 * MIB } });
    expect(res.status).toBe(413);
    expect(reason(res.body)).toBe('body of 20971520 bytes is over the limit of 1048576 bytes (maxBodyBytes)');
    expect(res.headers.connection).toBe('close');
    expect(await res.closed).toBeGreaterThan(0);
    // The server read the head and at most one socket read beyond it, not the 20 MiB being pushed.
    expect(bytesRead()).toBeLessThan(256 * 1024);
  });

  it('a chunked body that grows past the cap: 413, reading stopped at the cap', async () => {
    const { port, bytesRead } = await serve();
    const res = await rawRequest({ port, body: { total: 20 * MIB, chunked: true } });
    expect(res.status).toBe(413);
    expect(reason(res.body)).toBe(
      'body over the limit of 1048576 bytes (maxBodyBytes): reading stopped there',
    );
    await res.closed;
    expect(bytesRead()).toBeLessThan(MIB + 512 * 1024);
  });

  it('a body that lies about its length (shorter than declared, then silence) is cut by the time cap', async () => {
    const { port } = await serve({ bodyTimeoutMs: 300 });
    const res = await rawRequest({ port, body: { total: 1000, declared: 5000 } });
    expect(res.status).toBe(408);
  });

  it('a gzip bomb stops at the cap on the decompressed bytes', async () => {
    const { port } = await serve({}, { decompress: true });
    const bomb = gzipSync(Buffer.alloc(30 * MIB));
    expect(bomb.byteLength).toBeLessThan(MIB);
    const res = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body: bomb,
      headers: { 'content-encoding': 'gzip' },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { reason: string }).reason).toMatch(/^decompressed body over the limit/);
    const ok = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      body: gzipSync(Buffer.alloc(1000)),
      headers: { 'content-encoding': 'gzip' },
    });
    expect(await ok.json()).toEqual({ bytes: 1000 });
  });
});

describe('credentials before the body', () => {
  const refuse: HeaderCheck = (r) =>
    safeEqual(bearerToken(r.headers.get('authorization')) ?? '', 'right')
      ? { ok: true }
      : { ok: false, reason: 'wrong token', code: 'wrong' };

  it('a refused credential costs no body bytes: 401 at once, the connection closed, the upload not read', async () => {
    const { port, bytesRead, intake } = await serve({}, { check: refuse });
    const res = await rawRequest({
      port,
      headers: { authorization: 'Bearer wrong' },
      body: { total: 200 * MIB },
    });
    expect(res.status).toBe(401);
    expect(reason(res.body)).toBe('wrong token');
    await res.closed;
    expect(bytesRead()).toBeLessThan(128 * 1024);
    expect(intake.load()).toEqual({ reading: 0, queued: 0 });
  });

  it('a slow body with a wrong credential is answered at once, not when it finishes', async () => {
    const { port } = await serve({}, { check: refuse });
    const res = await rawRequest({
      port,
      headers: { authorization: 'Bearer wrong' },
      body: { total: 100, chunkBytes: 1, intervalMs: 2000 },
    });
    expect(res.status).toBe(401);
    expect(res.elapsedMs).toBeLessThan(1000);
    expect(await res.closed).toBeLessThan(2000);
  });

  it('the right credential reads the body; a check that needs the body sees the raw bytes', async () => {
    const seen: number[] = [];
    const { port } = await serve(
      {},
      { check: () => ({ ok: 'body', verify: (b) => (seen.push(b.byteLength), { ok: true }) }) },
    );
    const res = await rawRequest({ port, body: { total: 300_000 } });
    expect(res.status).toBe(200);
    expect(seen).toEqual([300_000]);
    const small = await serve({}, { check: refuse });
    expect(
      (
        await rawRequest({
          port: small.port,
          headers: { authorization: 'Bearer right' },
          body: { total: 10 },
        })
      ).status,
    ).toBe(200);
  });

  it('a check that throws refuses with 401 instead of rejecting', async () => {
    const { port } = await serve(
      {},
      {
        check: () => {
          throw new Error('boom');
        },
      },
    );
    const res = await rawRequest({ port, body: { total: 10 } });
    expect(res.status).toBe(401);
    expect(reason(res.body)).toBe('credential check failed: boom');
  });
});

describe('caps in time', () => {
  it('a body trickling a byte at a time is answered 408 at the configured cap, and the connection closed', async () => {
    const { port, intake } = await serve({ bodyTimeoutMs: 500 });
    const res = await rawRequest({ port, body: { total: 1000, chunkBytes: 1, intervalMs: 100 } });
    expect(res.status).toBe(408);
    expect(reason(res.body)).toBe('body not received within 500 ms (bodyTimeoutMs)');
    expect(res.elapsedMs).toBeGreaterThanOrEqual(450);
    expect(res.elapsedMs).toBeLessThan(2000);
    expect(await res.closed).toBeLessThan(2500);
    expect(intake.load()).toEqual({ reading: 0, queued: 0 });
  });

  it('with the default cap, a body of 1 byte every 2 s is answered 408 within 10 s', async () => {
    expect(DEFAULT_BODY_TIMEOUT_MS).toBe(9_000);
    const { port } = await serve();
    const res = await rawRequest({ port, body: { total: 100, chunkBytes: 1, intervalMs: 2000 } });
    console.log(
      `default bodyTimeoutMs: 1 byte every 2 s answered ${res.status} after ${Math.round(res.elapsedMs)} ms`,
    );
    expect(res.status).toBe(408);
    // Measured from the client's first byte: the 9 s cap plus timer and socket latency, within 10 s.
    expect(res.elapsedMs).toBeGreaterThanOrEqual(8_900);
    expect(res.elapsedMs).toBeLessThanOrEqual(10_000);
  }, 20_000);
});

describe('caps in concurrency', () => {
  it('reads at most maxConcurrentBodies at once, queues maxQueuedBodies, answers the rest 503 with Retry-After', async () => {
    const { port, intake } = await serve({ maxConcurrentBodies: 2, maxQueuedBodies: 1, bodyTimeoutMs: 3000 });
    const slow = { total: 100, chunkBytes: 1, intervalMs: 200 };
    const a = rawRequest({ port, body: { ...slow, total: 5 } }); // finishes after ~1 s
    const b = rawRequest({ port, body: slow }); // never finishes in time
    await until(() => intake.load().reading === 2);
    const c = rawRequest({ port, body: { total: 1000 } }); // queued, all sent at once
    await until(() => intake.load().queued === 1);
    const d = await rawRequest({ port, body: { total: 1000 } });
    expect(d.status).toBe(503);
    expect(d.headers['retry-after']).toBe('1');
    expect(reason(d.body)).toBe('busy: 2 bodies are being read and 1 are waiting');
    expect(d.elapsedMs).toBeLessThan(1000);
    // When a slot frees, the queued request is read.
    expect((await a).status).toBe(200);
    const queued = await c;
    expect(queued.status).toBe(200);
    expect(queued.body).toBe('{"bytes":1000}');
    expect((await b).status).toBe(408);
    expect(intake.load()).toEqual({ reading: 0, queued: 0 });
  });

  it('a queued request has what is left of its time: its wait counts against bodyTimeoutMs', async () => {
    const { port } = await serve({ maxConcurrentBodies: 1, maxQueuedBodies: 2, bodyTimeoutMs: 800 });
    const slow = { total: 100, chunkBytes: 1, intervalMs: 100 };
    const first = rawRequest({ port, body: slow });
    await new Promise((r) => setTimeout(r, 100));
    const second = rawRequest({ port, body: { total: 1000 } }); // all sent, waits for the slot
    await new Promise((r) => setTimeout(r, 100));
    const third = rawRequest({ port, body: slow });
    const [r1, r2, r3] = await Promise.all([first, second, third]);
    expect(r1.status).toBe(408); // read, too slowly: the slot is freed at ~800 ms
    expect(r2.status).toBe(200); // its body was there when it got the slot
    expect(r3.status).toBe(408); // got the slot with ~200 ms left of its 800
    expect(r3.elapsedMs).toBeLessThan(1200);
  });
});

describe('configuration', () => {
  it('refuses malformed limits at construction with the option named', () => {
    expect(() => resolveIntakeLimits({ maxBodyBytes: 0 }, { maxBodyBytes: 1 }, 'h')).toThrow(
      /^h: maxBodyBytes:/,
    );
    expect(() => resolveIntakeLimits({ bodyTimeoutMs: Number.NaN }, { maxBodyBytes: 1 }, 'h')).toThrow(
      /bodyTimeoutMs/,
    );
    expect(() => resolveIntakeLimits({ maxConcurrentBodies: 1.5 }, { maxBodyBytes: 1 }, 'h')).toThrow(
      /maxConcurrentBodies/,
    );
    expect(resolveIntakeLimits({}, { maxBodyBytes: 7 }, 'h')).toEqual({
      maxBodyBytes: 7,
      bodyTimeoutMs: 9_000,
      maxConcurrentBodies: 8,
      maxQueuedBodies: 256,
    });
  });
});

describe('the Node bridge', () => {
  it('answers 500 when a handler throws, and keeps serving', async () => {
    let fail = true;
    const server = createServer(
      toNodeHandler(async () => {
        if (fail) throw new Error('bug');
        return new Response('ok');
      }),
    );
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const res = await fetch(url);
    expect([res.status, await res.text()]).toEqual([500, 'internal error: Error: bug\n']);
    fail = false;
    expect(await (await fetch(url)).text()).toBe('ok');
  });

  it('keeps the connection alive after a complete body, closes it after a refused one', async () => {
    const { port } = await serve({ maxBodyBytes: 100 });
    const ok = await rawRequest({ port, body: { total: 50 } });
    expect(ok.status).toBe(200);
    expect(ok.headers.connection).toBe('keep-alive');
    const big = await rawRequest({ port, body: { total: 20 * MIB } });
    expect(big.status).toBe(413);
    expect(big.headers.connection).toBe('close');
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not met');
}

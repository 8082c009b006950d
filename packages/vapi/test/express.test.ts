import { createHmac } from 'node:crypto';
import { createVapiWebhookHandler, toExpressMiddleware } from '@voxtrace/vapi';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_ID, createServer, fixtureText, type Harness, harness, listen } from './helpers.js';

let h: Harness;
let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  await h?.vt.shutdown();
});

const secret = 'hmac-key';
const sign = (ts: string, body: string) => createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');

/** A real express app on 127.0.0.1 with the middleware mounted as `mount` says. */
async function app(mount: 'direct' | 'raw' | 'after-json') {
  h = harness();
  const handler = createVapiWebhookHandler(h.vt, {
    auth: [
      { type: 'hmac', secretKey: secret },
      { type: 'secret', secret: 'plain' },
    ],
    onMessage: (m) => (m.type === 'tool-calls' ? { results: [] } : undefined),
  });
  const a = express();
  if (mount === 'raw')
    a.post('/vapi', express.raw({ type: '*/*', limit: '10mb' }), toExpressMiddleware(handler));
  else if (mount === 'after-json')
    a.post('/vapi', express.json({ limit: '10mb' }), toExpressMiddleware(handler));
  else a.post('/vapi', toExpressMiddleware(handler));
  const server = await listen(createServer(a));
  close = server.close;
  return (body: string, headers: Record<string, string>) =>
    fetch(`${server.url}/vapi`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
}

describe('Express middleware (a real express app)', () => {
  const report = fixtureText('vapi-end-of-call-report.json');
  const ts = () => String(Math.floor(Date.now() / 1000));

  it('mounted directly: verifies the HMAC over the raw body and records the report', async () => {
    const post = await app('direct');
    const t = ts();
    expect((await post(report, { 'x-timestamp': t, 'x-signature': sign(t, report) })).status).toBe(200);
    expect(
      (await post(report.replace('Thanks', 'Thank'), { 'x-timestamp': t, 'x-signature': sign(t, report) }))
        .status,
    ).toBe(401);
    expect(h.conversations.map((c) => [c.id, c.turnCount])).toEqual([[CALL_ID, 3]]);
  });

  it('behind express.raw(): the same', async () => {
    const post = await app('raw');
    const t = ts();
    const res = await post(report, { 'x-timestamp': t, 'x-signature': sign(t, report) });
    expect(res.status).toBe(200);
    expect(h.conversations).toHaveLength(1);
    const bad = await post('{"message":', { 'x-timestamp': t, 'x-signature': sign(t, '{"message":') });
    expect(bad.status).toBe(400);
  });

  it('behind express.json(): the raw bytes are gone, so an HMAC fails; a plain secret still works', async () => {
    const post = await app('after-json');
    const t = ts();
    expect((await post(report, { 'x-timestamp': t, 'x-signature': sign(t, report) })).status).toBe(401);
    const res = await post(fixtureText('vapi-tool-calls.json'), { 'x-vapi-secret': 'plain' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ results: [] });
  });
});

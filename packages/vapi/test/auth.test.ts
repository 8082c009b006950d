import { createHmac } from 'node:crypto';
import {
  createVapiWebhookHandler,
  type VapiAuth,
  type VapiHmacAuth,
  type VapiWebhookOptions,
} from '@voxtrace/vapi';
import type { Diagnostic } from '@voxtrace/core';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureText, type Harness, harness } from './helpers.js';

const NOW = 1_760_710_200_000;
const URL_ = 'http://127.0.0.1/vapi';
const body = fixtureText('vapi-status-update-in-progress.json');
const tampered = body.replace('in-progress', 'forwarding');

let h: Harness;
afterEach(async () => {
  await h?.vt.shutdown();
});

/** Every `deprecated` diagnostic of every handler this file creates (each is reported once per process). */
const deprecations: Diagnostic[] = [];

function handler(auth: VapiAuth | VapiAuth[], extra: Partial<VapiWebhookOptions> = {}) {
  h = harness();
  return createVapiWebhookHandler(h.vt, {
    auth,
    now: () => NOW,
    onDiagnostic: (d) => void (d.code === 'deprecated' && deprecations.push(d)),
    ...extra,
  });
}

function post(headers: Record<string, string>, text = body): Request {
  return new Request(URL_, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: text,
  });
}

async function status(fetch: (r: Request) => Promise<Response>, req: Request): Promise<number> {
  const res = await fetch(req);
  if (res.status === 401) expect(((await res.json()) as { error: string }).error).toBe('unauthorized');
  return res.status;
}

describe('legacy X-Vapi-Secret', () => {
  const auth: VapiAuth = { type: 'secret', secret: 's3cret-value' };
  it('accepts the right secret and refuses a missing or wrong one', async () => {
    const f = handler(auth);
    expect(await status(f, post({ 'x-vapi-secret': 's3cret-value' }))).toBe(200);
    expect(await status(f, post({}))).toBe(401);
    expect(await status(f, post({ 'x-vapi-secret': 's3cret-valuf' }))).toBe(401);
    expect(await status(f, post({ 'x-vapi-secret': 's3cret-value-and-more' }))).toBe(401);
    expect(await status(f, post({ 'x-vapi-secret': '' }))).toBe(401);
  });

  it('refuses a stale message with maxMessageAgeMs (the body timestamp is 1760710081020)', async () => {
    const f = handler(auth, { maxMessageAgeMs: 60_000 });
    expect(await status(f, post({ 'x-vapi-secret': 's3cret-value' }))).toBe(401);
    const fresh = handler(auth, { maxMessageAgeMs: 200_000 });
    expect(await status(fresh, post({ 'x-vapi-secret': 's3cret-value' }))).toBe(200);
  });

  it('does not cover the body: a tampered body with the right secret passes (use HMAC for that)', async () => {
    const f = handler(auth);
    expect(await status(f, post({ 'x-vapi-secret': 's3cret-value' }, tampered))).toBe(200);
    expect(await status(f, post({ 'x-vapi-secret': 'wrong' }, tampered))).toBe(401);
  });

  it('takes it from X-Vapi-Signature too (older Vapi docs), or from the header configured', async () => {
    const f = handler({ type: 'secret', secret: 'abc' });
    expect(await status(f, post({ 'x-vapi-signature': 'abc' }))).toBe(200);
    expect(await status(f, post({ 'x-vapi-signature': 'abd' }))).toBe(401);
    const named = handler({ type: 'secret', secret: 'abc', headerName: 'X-Custom-Secret' });
    expect(await status(named, post({ 'x-custom-secret': 'abc' }))).toBe(200);
    expect(await status(named, post({ 'x-vapi-secret': 'abc' }))).toBe(401);
  });
});

describe('Bearer token', () => {
  it('accepts `Authorization: Bearer <token>` and refuses missing, wrong or unprefixed ones', async () => {
    const f = handler({ type: 'bearer', token: 'tok-123' });
    expect(await status(f, post({ authorization: 'Bearer tok-123' }))).toBe(200);
    expect(await status(f, post({ authorization: 'bearer   tok-123' }))).toBe(200);
    expect(await status(f, post({}))).toBe(401);
    expect(await status(f, post({ authorization: 'Bearer tok-124' }))).toBe(401);
    expect(await status(f, post({ authorization: 'tok-123' }))).toBe(401);
    expect(await status(f, post({ authorization: 'Basic tok-123' }))).toBe(401);
  });

  it('supports a custom header without the prefix (Vapi migration of X-Vapi-Secret)', async () => {
    const f = handler({
      type: 'bearer',
      token: 'tok',
      headerName: 'X-Vapi-Secret',
      bearerPrefixEnabled: false,
    });
    expect(await status(f, post({ 'x-vapi-secret': 'tok' }))).toBe(200);
    expect(await status(f, post({ 'x-vapi-secret': 'Bearer tok' }))).toBe(401);
  });

  it('refuses a stale message with maxMessageAgeMs; a tampered body needs HMAC', async () => {
    const f = handler({ type: 'bearer', token: 'tok' }, { maxMessageAgeMs: 1000 });
    expect(await status(f, post({ authorization: 'Bearer tok' }))).toBe(401);
    const noTimestamp = JSON.stringify({ message: { type: 'hang', call: { id: 'c' } } });
    expect(await status(f, post({ authorization: 'Bearer tok' }, noTimestamp))).toBe(401);
  });
});

/** Signs like Vapi's HMAC credential does. */
function sign(
  secret: string | Buffer,
  payload: string,
  {
    algorithm = 'sha256',
    encoding = 'hex',
    prefix = '',
  }: { algorithm?: string; encoding?: 'hex' | 'base64'; prefix?: string } = {},
): string {
  return prefix + createHmac(algorithm, secret).update(payload).digest(encoding);
}

describe('HMAC', () => {
  const secret = 'whsec-test-key';
  const base: VapiHmacAuth = { type: 'hmac', secretKey: secret };
  const seconds = String(Math.floor(NOW / 1000));

  const variants: {
    name: string;
    auth: VapiHmacAuth;
    headers: (text: string, ts: string) => Record<string, string>;
    ts: string;
  }[] = [
    {
      name: 'sha256 of {timestamp}.{body}, hex, timestamp in seconds (the defaults)',
      auth: base,
      ts: seconds,
      headers: (text, ts) => ({ 'x-timestamp': ts, 'x-signature': sign(secret, `${ts}.${text}`) }),
    },
    {
      name: 'sha512, base64, timestamp in milliseconds, custom headers',
      auth: {
        ...base,
        algorithm: 'sha512',
        signatureEncoding: 'base64',
        signatureHeader: 'x-vapi-sig',
        timestampHeader: 'x-vapi-ts',
      },
      ts: String(NOW),
      headers: (text, ts) => ({
        'x-vapi-ts': ts,
        'x-vapi-sig': sign(secret, `${ts}.${text}`, { algorithm: 'sha512', encoding: 'base64' }),
      }),
    },
    {
      name: 'sha1 with a sha1= prefix',
      auth: { ...base, algorithm: 'sha1', signaturePrefix: 'sha1=' },
      ts: seconds,
      headers: (text, ts) => ({
        'x-timestamp': ts,
        'x-signature': sign(secret, `${ts}.${text}`, { algorithm: 'sha1', prefix: 'sha1=' }),
      }),
    },
    {
      name: 'body only, sha256= prefix, x-vapi-signature (custom knowledge base docs)',
      auth: {
        ...base,
        payloadFormat: '{body}',
        signaturePrefix: 'sha256=',
        signatureHeader: 'x-vapi-signature',
      },
      ts: '',
      headers: (text) => ({ 'x-vapi-signature': sign(secret, text, { prefix: 'sha256=' }) }),
    },
    {
      name: 'includeTimestamp: false (the body alone is signed; no timestamp header is needed)',
      auth: { ...base, includeTimestamp: false },
      ts: '',
      headers: (text) => ({ 'x-signature': sign(secret, text) }),
    },
    {
      name: 'a base64 secret and a {method} {url} {timestamp}:{body} format',
      auth: {
        ...base,
        secretKey: Buffer.from('raw-key').toString('base64'),
        secretIsBase64: true,
        payloadFormat: '{method} {url} {timestamp}:{body}',
      },
      ts: seconds,
      headers: (text, ts) => ({
        'x-timestamp': ts,
        'x-signature': sign(Buffer.from('raw-key'), `POST ${URL_} ${ts}:${text}`),
      }),
    },
  ];

  for (const v of variants) {
    it(`${v.name}: accepts a correct request, refuses missing, wrong, tampered and stale ones`, async () => {
      const f = handler(v.auth);
      expect(await status(f, post(v.headers(body, v.ts)))).toBe(200);
      // missing signature
      const headers = v.headers(body, v.ts);
      const sigHeader = v.auth.signatureHeader ?? 'x-signature';
      const { [sigHeader]: _, ...unsigned } = headers;
      expect(await status(f, post(unsigned))).toBe(401);
      // wrong signature (signed with another secret)
      const other = {
        ...headers,
        [sigHeader]: `${v.auth.signaturePrefix ?? ''}${'0'.repeat(headers[sigHeader]!.length - (v.auth.signaturePrefix ?? '').length)}`,
      };
      expect(await status(f, post(other))).toBe(401);
      // tampered body, signature of the original
      expect(await status(f, post(headers, tampered))).toBe(401);
      // stale: a correctly signed request from 10 minutes ago
      if (v.ts) {
        const old = v.ts.length >= 13 ? String(NOW - 600_000) : String(Math.floor(NOW / 1000) - 600);
        expect(await status(f, post(v.headers(body, old)))).toBe(401);
        expect(
          await status(f, post({ ...v.headers(body, v.ts), [v.auth.timestampHeader ?? 'x-timestamp']: old })),
        ).toBe(401);
      } else {
        // A body-only signature has no signed time: freshness comes from maxMessageAgeMs.
        const strict = handler(v.auth, { maxMessageAgeMs: 60_000 });
        expect(await status(strict, post(v.headers(body, v.ts)))).toBe(401);
      }
    });
  }

  it('refuses a missing or malformed timestamp when it is signed', async () => {
    const f = handler(base);
    expect(await status(f, post({ 'x-signature': sign(secret, `.${body}`) }))).toBe(401);
    expect(
      await status(f, post({ 'x-timestamp': 'yesterday', 'x-signature': sign(secret, `yesterday.${body}`) })),
    ).toBe(401);
  });

  it('verifies the raw bytes, not re-serialized JSON', async () => {
    const f = handler(base);
    const spaced = body.replace('{', '{   '); // same JSON, other bytes
    expect(
      await status(
        f,
        post({ 'x-timestamp': seconds, 'x-signature': sign(secret, `${seconds}.${spaced}`) }, spaced),
      ),
    ).toBe(200);
    expect(
      await status(
        f,
        post({ 'x-timestamp': seconds, 'x-signature': sign(secret, `${seconds}.${body}`) }, spaced),
      ),
    ).toBe(401);
  });
});

describe('several schemes and custom checks', () => {
  it('accepts a request any scheme accepts', async () => {
    const f = handler([
      { type: 'secret', secret: 'old' },
      { type: 'bearer', token: 'new' },
    ]);
    expect(await status(f, post({ 'x-vapi-secret': 'old' }))).toBe(200);
    expect(await status(f, post({ authorization: 'Bearer new' }))).toBe(200);
    const res = await f(post({ authorization: 'Bearer nope' }));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { reason: string }).reason).toBe(
      'missing x-vapi-secret or x-vapi-signature; wrong authorization',
    );
  });

  it('runs a custom check over the raw body, and a throwing one refuses', async () => {
    const f = handler({
      type: 'custom',
      verify: (req, raw) => req.headers.get('x-token') === 'jwt' && raw.byteLength > 0,
    });
    expect(await status(f, post({ 'x-token': 'jwt' }))).toBe(200);
    expect(await status(f, post({ 'x-token': 'nope' }))).toBe(401);
    const g = handler({
      type: 'custom',
      verify: () => {
        throw new Error('boom');
      },
    });
    expect(await status(g, post({}))).toBe(401);
  });
});

describe('configuration mistakes fail at construction, not per request', () => {
  const create = (options: Partial<VapiWebhookOptions>) => () => {
    h = harness();
    return createVapiWebhookHandler(h.vt, options as VapiWebhookOptions);
  };

  it('no credential at all (VAPI_SECRET unset) throws, naming the option and the way out', () => {
    const unset = process.env.VOXTRACE_SURELY_UNSET_SECRET;
    expect(create({})).toThrow(/no credential configured.*allowUnauthenticated/);
    expect(create({ auth: { type: 'secret', secret: unset! } })).toThrow(
      /auth\.secret is undefined.*allowUnauthenticated/,
    );
    expect(create({ auth: { type: 'secret', secret: '' } })).toThrow(/auth\.secret is empty/);
    expect(create({ auth: { type: 'bearer', token: '  ' } })).toThrow(/auth\.token is empty/);
    expect(create({ auth: { type: 'hmac', secretKey: unset! } })).toThrow(/auth\.secretKey is undefined/);
    expect(
      create({
        auth: [
          { type: 'secret', secret: 'ok' },
          { type: 'bearer', token: unset! },
        ],
      }),
    ).toThrow(/auth\[1\]\.token is undefined/);
    expect(create({ auth: [] })).toThrow(/empty list/);
  });

  it('malformed options throw with the field', () => {
    expect(create({ auth: { type: 'hmac', secretKey: 'k', algorithm: 'md5' as never } })).toThrow(
      /auth\.algorithm/,
    );
    expect(create({ auth: { type: 'hmac', secretKey: 'k', signatureHeader: 'x signature' } })).toThrow(
      /auth\.signatureHeader: must be an HTTP header name/,
    );
    expect(create({ auth: { type: 'custom', verify: 'yes' as never } })).toThrow(
      /auth\.verify: must be a function/,
    );
    expect(create({ auth: { type: 'oauth2' } as never })).toThrow(/oauth2.*custom/);
    expect(create({ auth: { type: 'secret', secret: 's' }, maxBodyBytes: -1 })).toThrow(/maxBodyBytes/);
    expect(create({ auth: { type: 'secret', secret: 's' }, bodyTimeoutMs: 0 })).toThrow(/bodyTimeoutMs/);
  });

  it('allowUnauthenticated: true accepts requests without a credential, and says so once', async () => {
    const f = create({ allowUnauthenticated: true })();
    expect(await status(f, post({}))).toBe(200);
    expect(h.diagnostics.filter((d) => /unauthenticated/.test(d.message))).toHaveLength(1);
    // An empty credential with the opt-out drops that scheme; a set one is still checked.
    const g = create({
      allowUnauthenticated: true,
      auth: [
        { type: 'secret', secret: '' },
        { type: 'bearer', token: 'tok' },
      ],
    })();
    expect(await status(g, post({ authorization: 'Bearer tok' }))).toBe(200);
    expect(await status(g, post({}))).toBe(401);
  });

  it("voxtrace 0.1's option names still work, each reported once as deprecated", async () => {
    const seconds = String(Math.floor(NOW / 1000));
    const hmac = handler({ type: 'hmac', secret: 'old-key', encoding: 'base64' } as VapiAuth);
    const sig = createHmac('sha256', 'old-key').update(`${seconds}.${body}`).digest('base64');
    expect(await status(hmac, post({ 'x-timestamp': seconds, 'x-signature': sig }))).toBe(200);
    const bearer = handler({
      type: 'bearer',
      token: 'tok',
      header: 'X-Vapi-Secret',
      prefix: false,
    } as VapiAuth);
    expect(await status(bearer, post({ 'x-vapi-secret': 'tok' }))).toBe(200);
    const none = handler({ type: 'none' } as VapiAuth);
    expect(await status(none, post({}))).toBe(200);
    const again = handler({ type: 'none' } as VapiAuth);
    expect(await status(again, post({}))).toBe(200);
    // Once per process and name: the second `none` handler said nothing.
    const seen = deprecations.map((d) => d.message);
    expect(seen).toEqual([
      "auth hmac option 'secret' is deprecated: use 'secretKey' (Vapi's name). It will be removed in 1.0.0.",
      "auth hmac option 'encoding' is deprecated: use 'signatureEncoding' (Vapi's name). It will be removed in 1.0.0.",
      "auth bearer option 'header' is deprecated: use 'headerName' (Vapi's name). It will be removed in 1.0.0.",
      "auth bearer option 'prefix' is deprecated: use 'bearerPrefixEnabled' (Vapi's name). It will be removed in 1.0.0.",
      "auth { type: 'none' } is deprecated: use allowUnauthenticated: true. It will be removed in 1.0.0.",
    ]);
  });

  it('Vapi credential objects copy across as they are (extra fields ignored)', async () => {
    const plan = {
      type: 'hmac' as const,
      secretKey: 'whsec-copied',
      algorithm: 'sha256' as const,
      signatureHeader: 'x-signature',
      timestampHeader: 'x-timestamp',
      includeTimestamp: true,
      signatureEncoding: 'hex' as const,
      secretIsBase64: false,
      id: 'cred-123',
      orgId: 'org-1',
    };
    const f = handler(plan as VapiHmacAuth);
    const ts = String(Math.floor(NOW / 1000));
    expect(
      await status(f, post({ 'x-timestamp': ts, 'x-signature': sign('whsec-copied', `${ts}.${body}`) })),
    ).toBe(200);
  });
});

describe('credentials are checked before the body is read', () => {
  /** A request whose body counts the bytes pulled from it. */
  function counted(headers: Record<string, string>, text = body) {
    const bytes = new TextEncoder().encode(text);
    const pulled = { bytes: 0 };
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const chunk = bytes.subarray(pulled.bytes, pulled.bytes + 64);
          if (!chunk.byteLength) return controller.close();
          pulled.bytes += chunk.byteLength;
          controller.enqueue(chunk);
        },
      },
      // Nothing is pulled until someone reads.
      { highWaterMark: 0 },
    );
    const request = new Request(URL_, {
      method: 'POST',
      headers,
      body: stream,
      duplex: 'half',
    } as RequestInit & { duplex: 'half' });
    return { request, pulled };
  }

  it('a wrong or missing secret, bearer token or malformed/stale HMAC header costs no body bytes', async () => {
    const seconds = String(Math.floor(NOW / 1000));
    const cases: [VapiAuth, Record<string, string>][] = [
      [{ type: 'secret', secret: 's' }, {}],
      [{ type: 'secret', secret: 's' }, { 'x-vapi-secret': 'wrong' }],
      [{ type: 'bearer', token: 't' }, { authorization: 'Bearer wrong' }],
      [{ type: 'hmac', secretKey: 'k' }, { 'x-timestamp': seconds }],
      [
        { type: 'hmac', secretKey: 'k' },
        { 'x-timestamp': seconds, 'x-signature': 'not-hex' },
      ],
      [
        { type: 'hmac', secretKey: 'k' },
        { 'x-timestamp': seconds, 'x-signature': 'ab'.repeat(31) },
      ],
      [
        { type: 'hmac', secretKey: 'k' },
        { 'x-timestamp': String(Number(seconds) - 600), 'x-signature': 'ab'.repeat(32) },
      ],
      [{ type: 'hmac', secretKey: 'k' }, { 'x-signature': 'ab'.repeat(32) }],
    ];
    for (const [auth, headers] of cases) {
      const f = handler(auth);
      const { request, pulled } = counted(headers);
      expect(await status(f, request), JSON.stringify(headers)).toBe(401);
      expect(pulled.bytes, JSON.stringify(headers)).toBe(0);
    }
  });

  it('a well-formed HMAC header is verified over the body once read', async () => {
    const f = handler({ type: 'hmac', secretKey: 'k' });
    const seconds = String(Math.floor(NOW / 1000));
    const { request, pulled } = counted({ 'x-timestamp': seconds, 'x-signature': 'ab'.repeat(32) });
    expect(await status(f, request)).toBe(401);
    expect(pulled.bytes).toBe(new TextEncoder().encode(body).byteLength);
  });
});

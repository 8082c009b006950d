import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { ConversationRecord } from '@voxtrace/core';
import { createRetellWebhookHandler, instrumentRetellLlmSocket } from '@voxtrace/retell';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { API_KEY, fixture, fixturePath, retellRequest, testVoxtrace } from './helpers.js';

type Json = unknown;
type Path = (string | number)[];

/** Every path into a JSON value (objects and arrays), the root excluded. */
function paths(value: Json, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((k) => {
    const p = [...prefix, k];
    return [p, ...paths((value as Record<string | number, Json>)[k], p)];
  });
}

const mutationArb = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'null', 'number', 'string', 'empty-array', 'big'),
  value: fc.jsonValue({ maxDepth: 2 }),
  number: fc.oneof(
    fc.double(),
    fc.integer(),
    fc.constantFrom(-1, 0, 1e21, Number.MAX_SAFE_INTEGER, 8.64e15 + 1, -0.5),
  ),
});
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;

/** Applies mutations to a copy of `value` (deleting, retyping or replacing what a path points at). */
function mutate(value: Json, mutations: Mutation[]): Json {
  const root = { v: structuredClone(value) } as Record<string, Json>;
  for (const m of mutations) {
    const all = paths(root.v).map((p) => ['v', ...p]);
    if (all.length === 0) break;
    const path = all[m.pick % all.length]!;
    const parent = path.slice(0, -1).reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], root) as
      Record<string | number, Json> | Json[];
    const key = path.at(-1)!;
    const target = parent as Record<string | number, Json>;
    switch (m.op) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete target[key];
        break;
      case 'replace':
        target[key] = m.value;
        break;
      case 'null':
        target[key] = null;
        break;
      case 'number':
        target[key] = m.number;
        break;
      case 'string':
        target[key] = String(m.number);
        break;
      case 'empty-array':
        target[key] = [];
        break;
      case 'big':
        target[key] = 'x'.repeat(5000);
        break;
    }
  }
  return root.v;
}

const t = testVoxtrace();
const handler = createRetellWebhookHandler(t.vt, { apiKey: API_KEY, analysisWaitMs: 0 });
afterAll(async () => {
  handler.close();
  await t.vt.shutdown();
});

const bodies = [
  fixture<Record<string, Json>>('retell-call_analyzed.json'),
  { ...fixture<Record<string, Json>>('retell-call_analyzed.json'), event: 'call_ended' },
  { ...fixture<Record<string, Json>>('retell-call_analyzed.json'), event: 'call_started' },
  fixture<Record<string, Json>>('retell-call_ended-docs-sample.json'),
];
let run = 0;

describe('fast-check: mutated payloads never give a 5xx, never throw', () => {
  it('mutated Retell webhooks, signed: 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bodies.keys()),
        fc.array(mutationArb, { minLength: 1, maxLength: 6 }),
        async (which, mutations) => {
          const base = structuredClone(bodies[which]!) as { call: Record<string, Json> };
          // A fresh call id per run, so the dedupe does not hide the parsing (mutations may change it).
          base.call.call_id = `fuzz-${run++}`;
          const res = await handler(retellRequest('http://127.0.0.1/retell', mutate(base, mutations)));
          expect(res.status).toBeLessThan(500);
          expect([200, 204, 400, 413]).toContain(res.status);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any JSON value or any bytes, signed: 2xx or 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.uint8Array({ maxLength: 256 })), async (body) => {
        const raw = body instanceof Uint8Array ? Buffer.from(body).toString('latin1') : JSON.stringify(body);
        const res = await handler(retellRequest('http://127.0.0.1/retell', raw ?? ''));
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });

  it('mutated custom-LLM socket frames, either way: no throw, and the call still ends', () => {
    const session: { dir: string; msg: Json }[] = readFileSync(
      fixturePath('retell-custom-llm-ws-session.jsonl'),
      'utf8',
    )
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(session.length - 1), fc.array(mutationArb, { maxLength: 3 })), {
          maxLength: 30,
        }),
        fc.constantFrom(1000, 1006, 1011),
        (frames, closeCode) => {
          const callId = `fuzz-ws-${run++}`;
          const records: ConversationRecord[] = [];
          const off = t.vt.on('conversation', (r) => r.id === callId && records.push(r));
          const sent: unknown[] = [];
          const ws = Object.assign(new EventEmitter(), { send: (data: unknown) => void sent.push(data) });
          instrumentRetellLlmSocket(ws, t.vt, { callId, onClose: 'end' });
          for (const [i, mutations] of frames) {
            const frame = session[i]!;
            const data = JSON.stringify(mutate(frame.msg, mutations));
            if (frame.dir === 'retell->server') ws.emit('message', Buffer.from(data), false);
            else ws.send(data);
          }
          ws.emit('close', closeCode, Buffer.alloc(0));
          off();
          expect(sent).toHaveLength(frames.filter(([i]) => session[i]!.dir === 'server->retell').length);
          expect(records).toHaveLength(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/**
 * What `ingest` accepts: RTVI objects, JSON text, Pipecat protobuf frames and forwarder envelopes;
 * what it ignores; what it reports as malformed. It never throws.
 */
import { decodePipecatFrame } from '@voxtrace/pipecat-bridge';
import { describe, expect, it } from 'vitest';
import { BASE, byName, F2, fixture, setup } from './helpers.js';
import { audioFrame, encode, messageFrame } from './protobuf.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('Pipecat protobuf frames', () => {
  it('reads the RTVI JSON of Frame.message (field 4) → MessageFrame.data (field 1)', () => {
    const json = '{"label":"rtvi-ai","type":"bot-ready","data":{"version":"2.1.0"}}';
    expect(decodePipecatFrame(messageFrame(json))).toEqual({ kind: 'message', data: json });
    const nonAscii = '{"label":"rtvi-ai","type":"user-llm-text","data":{"text":"olá, ça va? 👋"}}';
    expect(decodePipecatFrame(messageFrame(nonAscii))).toEqual({ kind: 'message', data: nonAscii });
  });

  it('recognises other frame types without decoding them', () => {
    expect(decodePipecatFrame(audioFrame(1600))).toEqual({ kind: 'other', field: 2 });
    expect(
      decodePipecatFrame(encode([{ field: 1, bytes: encode([{ field: 3, bytes: utf8('hi') }]) }])),
    ).toEqual({
      kind: 'other',
      field: 1,
    });
    // InterruptionFrame (field 5), newer than the serializer's first schema.
    expect(decodePipecatFrame(encode([{ field: 5, bytes: encode([{ field: 1, varint: 9 }]) }]))).toEqual({
      kind: 'other',
      field: 5,
    });
  });

  it('skips unknown fields of every wire type, and merges repeated messages as protobuf does', () => {
    const inner = encode([
      { field: 9, varint: 2 ** 40 },
      { field: 10, fixed32: 7 },
      { field: 11, fixed64: 12345678901234n },
      { field: 12, bytes: utf8('x') },
      { field: 1, bytes: utf8('{"type":"a"}') },
    ]);
    const frame = encode([
      { field: 4, bytes: inner },
      { field: 4, bytes: encode([{ field: 1, bytes: utf8('{"type":"b"}') }]) },
      { field: 4, bytes: encode([{ field: 9, varint: 1 }]) }, // merges: keeps data "b"
    ]);
    expect(decodePipecatFrame(frame)).toEqual({ kind: 'message', data: '{"type":"b"}' });
    // The last oneof member wins.
    expect(
      decodePipecatFrame(
        encode([
          { field: 4, bytes: inner },
          { field: 2, bytes: new Uint8Array(4) },
        ]),
      ),
    ).toEqual({
      kind: 'other',
      field: 2,
    });
  });

  it('rejects malformed bytes', () => {
    const good = messageFrame('{"type":"bot-ready"}');
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(), /empty/],
      [good.subarray(0, good.length - 3), /past the end/],
      [Uint8Array.from([0x22]), /truncated varint/],
      [Uint8Array.from([0x23, 0x00]), /wire type 3/], // a group start, not proto3
      [Uint8Array.from([0x02, 0x00]), /field number 0/],
      [Uint8Array.from([0x22, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /10 bytes/],
      [
        encode([{ field: 4, bytes: encode([{ field: 1, bytes: Uint8Array.from([0xc3, 0x28]) }]) }]),
        /invalid|encoded/i,
      ],
    ];
    for (const [bytes, error] of cases) {
      const r = decodePipecatFrame(bytes);
      expect(r.kind, String(error)).toBe('invalid');
      expect(r.kind === 'invalid' && r.error).toMatch(error);
    }
  });

  it('feeds the protobuf-framed fixture through ingest to the same trace as JSON objects', async () => {
    const viaProto = setup();
    const viaJson = setup();
    for (const e of fixture(F2)) {
      const meta = { receivedAt: BASE + e.at_ms, conversationId: 'c' };
      viaProto.bridge.ingest(messageFrame(JSON.stringify(e.message)), meta);
      viaProto.bridge.ingest(audioFrame(160), meta); // interleaved audio is skipped
      viaJson.bridge.ingest(e.message, meta);
    }
    const a = viaProto.bridge.end('c')!;
    const b = viaJson.bridge.end('c')!;
    expect(a.turns[0]!.e2eLatencyMs).toBe(2900);
    expect(JSON.stringify(a.turns)).toBe(JSON.stringify(b.turns));
    expect(viaProto.bridge.stats()).toMatchObject({ ignored: 44, malformed: 0 });
    // An ArrayBuffer works as well as a Uint8Array.
    const frame = messageFrame('{"label":"rtvi-ai","type":"user-started-speaking"}');
    viaProto.bridge.ingest(frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.length), {
      conversationId: 'd',
      receivedAt: BASE,
    });
    expect(viaProto.bridge.end('d')!.turnCount).toBe(1);
  });
});

describe('JSON text and envelopes', () => {
  it('takes the JSON text of a message', () => {
    const { bridge } = setup();
    bridge.ingest('{"label":"rtvi-ai","type":"user-started-speaking"}', {
      conversationId: 'j',
      receivedAt: BASE,
    });
    bridge.ingest('{"label":"rtvi-ai","type":"user-stopped-speaking"}', {
      conversationId: 'j',
      receivedAt: BASE + 500,
    });
    bridge.ingest('{"label":"rtvi-ai","type":"bot-started-speaking"}', {
      conversationId: 'j',
      receivedAt: BASE + 1300,
    });
    expect(bridge.end('j')!.turns[0]!.e2eLatencyMs).toBe(800);
  });

  it('takes forwarder envelopes (object or JSON), with their id and their ts in seconds', async () => {
    const { bridge, vt, spans } = setup();
    const ts = BASE / 1000;
    bridge.ingest({
      conversation_id: 'env-1',
      ts,
      message: { label: 'rtvi-ai', type: 'user-started-speaking' },
    });
    bridge.ingest(
      JSON.stringify({
        conversation_id: 'env-1',
        ts: ts + 0.9,
        message: { label: 'rtvi-ai', type: 'user-stopped-speaking' },
      }),
    );
    bridge.ingest({
      conversation_id: 'env-1',
      ts: ts + 2.001,
      message: '{"label":"rtvi-ai","type":"bot-started-speaking"}',
    });
    bridge.ingest({ conversation_id: 'env-1', ts: ts + 3, end: true });
    expect(bridge.stats().openConversations).toBe(0);
    await vt.forceFlush();
    const [turn] = byName(spans(), 'turn');
    expect(turn!.attributes['turn.e2e_latency_ms']).toBe(1101);
    const [conv] = byName(spans(), 'conversation');
    expect(conv!.attributes['conversation.id']).toBe('env-1');
    expect(conv!.endTime).toEqual([Math.floor(BASE / 1000) + 3, 0]);
  });
});

describe('what is ignored and what is malformed', () => {
  it('ignores other labels, unknown fields and types it does not read; reports a type not known to Pipecat once', async () => {
    const { bridge, diagnostics, vt, spans } = setup();
    const at = (ms: number) => ({ conversationId: 'u', receivedAt: BASE + ms });
    bridge.ingest({ label: 'tail', type: 'tail-turn', data: { n: 1 } }, at(0));
    bridge.ingest({ label: 'rtvi-ai', type: 'user-started-speaking', surprise: { x: 1 } }, at(0));
    bridge.ingest({ label: 'rtvi-ai', type: 'bot-llm-search-response', data: { origins: [] } }, at(10));
    bridge.ingest({ label: 'rtvi-ai', type: 'user-audio-level', data: { value: 0.4 } }, at(20));
    bridge.ingest({ label: 'rtvi-ai', type: 'some-type-from-2027', data: [1, 2, 3] }, at(30));
    for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty'])
      bridge.ingest({ label: 'rtvi-ai', type, data: {} }, at(31));
    bridge.ingest({ label: 'rtvi-ai', type: 'metrics', data: { constructor: [1], toString: 'x' } }, at(32));
    bridge.ingest(
      {
        label: 'rtvi-ai',
        type: 'user-transcription',
        data: { text: 'hi', final: true, language: 'en', extra: 1 },
      },
      at(400),
    );
    bridge.ingest({ label: 'rtvi-ai', type: 'user-stopped-speaking' }, at(500));
    bridge.ingest({ label: 'rtvi-ai', type: 'bot-started-speaking', data: { unexpected: true } }, at(900));
    bridge.end('u');
    await vt.forceFlush();
    // Types the bridge does not read are counted by type; the ones Pipecat is not known to send are reported.
    expect(diagnostics.map((d) => d.message)).toEqual(
      ['some-type-from-2027', 'constructor', 'toString', '__proto__', 'hasOwnProperty'].map(
        (t) =>
          `pipecat: RTVI message type "${t}" is not read by the bridge: ignored (counted in stats().ignoredTypes)`,
      ),
    );
    const stats = bridge.stats();
    expect(stats).toMatchObject({ received: 13, ignored: 7, malformed: 0 });
    expect(Object.entries(stats.ignoredTypes)).toEqual([
      ['user-audio-level', 1],
      ['some-type-from-2027', 1],
      ['constructor', 1],
      ['toString', 1],
      ['__proto__', 1],
      ['hasOwnProperty', 1],
    ]);
    expect(byName(spans(), 'turn')[0]!.attributes['turn.e2e_latency_ms']).toBe(400);
  });

  it('drops input whose meta is not what the types say (found by fuzzing), without an internal error', () => {
    const { bridge, diagnostics } = setup();
    const hostile = Object.create(null) as never;
    bridge.ingest({ label: 'rtvi-ai', type: 'user-started-speaking' }, { conversationId: hostile });
    bridge.ingest(
      { label: 'rtvi-ai', type: 'user-started-speaking' },
      { conversationId: 'x', receivedAt: hostile },
    );
    expect(bridge.stats().malformed).toBe(2);
    expect(diagnostics.map((d) => d.message).filter((m) => /TypeError/.test(m))).toEqual([]);
  });

  it('reports malformed input as adapter_error, counts it, and loses nothing else', async () => {
    const { bridge, diagnostics } = setup();
    const at = (ms: number) => ({ conversationId: 'm', receivedAt: BASE + ms });
    bridge.ingest({ label: 'rtvi-ai', type: 'user-started-speaking' }, at(0));
    bridge.ingest('{"label":"rtvi-ai","type":', at(1)); // not JSON
    bridge.ingest({ label: 'rtvi-ai', data: {} }, at(2)); // no type
    bridge.ingest(Uint8Array.from([0x22, 0x05, 0x0a]), at(3)); // truncated protobuf
    bridge.ingest(
      { label: 'rtvi-ai', type: 'llm-function-call-in-progress', data: { function_name: 'x' } },
      at(4),
    );
    bridge.ingest({ label: 'rtvi-ai', type: 'user-transcription', data: { text: 5 } }, at(5));
    bridge.ingest(
      {
        label: 'rtvi-ai',
        type: 'metrics',
        data: { ttfb: [{ processor: 'OpenAILLMService#0', value: 'fast' }, 'x'] },
      },
      at(6),
    );
    bridge.ingest({ label: 'rtvi-ai', type: 'metrics', data: { tokens: { prompt_tokens: 1 } } }, at(7));
    bridge.ingest({ label: 'rtvi-ai', type: 'metrics', data: 'lots' }, at(8));
    bridge.ingest({ conversation_id: '', ts: 'now', message: {} }, at(9)); // a broken envelope
    bridge.ingest(
      { label: 'rtvi-ai', type: 'user-stopped-speaking' },
      { conversationId: 'm', receivedAt: Number.NaN },
    );
    bridge.ingest({ label: 'rtvi-ai', type: 'user-stopped-speaking' }, at(600));
    bridge.ingest({ label: 'rtvi-ai', type: 'bot-started-speaking' }, at(1000));
    const record = bridge.end('m')!;
    expect(record.turns[0]!.e2eLatencyMs).toBe(400);
    expect(bridge.stats().malformed).toBe(11); // the bad ttfb array holds two bad items
    expect(diagnostics).toHaveLength(11);
    expect(diagnostics.every((d) => d.code === 'adapter_error' && d.message.startsWith('pipecat'))).toBe(
      true,
    );
    expect(diagnostics.filter((d) => d.conversationId === 'm')).toHaveLength(11);
    expect(diagnostics.map((d) => d.message).join('\n')).toMatch(
      /invalid JSON[\s\S]*tool_call_id[\s\S]*metrics\.tokens: not an array[\s\S]*envelope[\s\S]*receivedAt/,
    );
  });

  it('never throws, whatever it is given', () => {
    const { bridge } = setup();
    const cyclic: Record<string, unknown> = { label: 'rtvi-ai', type: 'metrics' };
    cyclic.data = { ttfb: [cyclic] };
    const hostile = {
      get type(): string {
        throw new Error('boom');
      },
    };
    const inputs: unknown[] = [
      undefined,
      null,
      0,
      Number.NaN,
      true,
      Symbol('s'),
      () => {},
      [],
      [{ type: 'x' }],
      '',
      'null',
      '[]',
      '"x"',
      cyclic,
      hostile,
      new ArrayBuffer(3),
      new Uint8Array(1 << 16).fill(0xff),
      'x'.repeat(1 << 20),
      { conversation_id: 'z', ts: 1, message: { conversation_id: 'z', ts: 1, message: {} } },
    ];
    for (const input of inputs) expect(() => bridge.ingest(input)).not.toThrow();
    expect(() => bridge.ingest({ type: 'x' }, { receivedAt: -5, conversationId: 'q' })).not.toThrow();
    expect(() => bridge.end('never-started')).not.toThrow();
    bridge.close();
    expect(() => bridge.ingest({ label: 'rtvi-ai', type: 'user-started-speaking' })).not.toThrow();
    expect(bridge.stats().openConversations).toBe(0);
  });
});

/**
 * A protobuf encoder for tests, written from `frames.proto` (pipecat-client-web-transports,
 * `transports/websocket-transport/proto/frames.proto`), so the reader is checked against bytes
 * built per the schema rather than against itself.
 */

/** A field value: a varint, a length-delimited payload, or a fixed 32/64-bit value. */
export type Field =
  | { field: number; varint: number }
  | { field: number; bytes: Uint8Array }
  | { field: number; fixed32: number }
  | { field: number; fixed64: bigint };

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/** Encodes fields in order. */
export function encode(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const f of fields) {
    if ('varint' in f) out.push(...varint(f.field * 8 + 0), ...varint(f.varint));
    else if ('bytes' in f) out.push(...varint(f.field * 8 + 2), ...varint(f.bytes.length), ...f.bytes);
    else if ('fixed32' in f) {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, f.fixed32, true);
      out.push(...varint(f.field * 8 + 5), ...b);
    } else {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, f.fixed64, true);
      out.push(...varint(f.field * 8 + 1), ...b);
    }
  }
  return Uint8Array.from(out);
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** `Frame{message: MessageFrame{data}}`, as Pipecat's ProtobufFrameSerializer sends an RTVI message. */
export function messageFrame(data: string): Uint8Array {
  return encode([{ field: 4, bytes: encode([{ field: 1, bytes: utf8(data) }]) }]);
}

/** `Frame{audio: AudioRawFrame{id, name, audio, sample_rate, num_channels}}`. */
export function audioFrame(samples: number): Uint8Array {
  return encode([
    {
      field: 2,
      bytes: encode([
        { field: 1, varint: 7 },
        { field: 2, bytes: utf8('OutputAudioRawFrame#3') },
        { field: 3, bytes: new Uint8Array(samples * 2) },
        { field: 4, varint: 16000 },
        { field: 5, varint: 1 },
      ]),
    },
  ]);
}

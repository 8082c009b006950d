/**
 * A minimal protobuf wire-format reader and writer: just what OTLP/HTTP needs (varints, fixed64,
 * fixed32, length-delimited fields). Malformed input throws a {@link ProtobufError}; nothing here
 * allocates more than the input it is given.
 */

/** The input is not a well-formed protobuf message (truncated, bad wire type, overlong varint…). */
export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
}

/** Wire types of the protobuf encoding. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const utf8 = new TextDecoder('utf-8');

/** Reads the fields of one message, in order. */
export class ProtobufReader {
  private pos: number;
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Whether another field follows. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** Reads a field's tag: its number and wire type. */
  tag(): { field: number; wire: number } {
    const key = this.varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtobufError('field number 0');
    return { field, wire };
  }

  /** An unsigned varint, up to 64 bits. */
  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.end) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  /** A varint as a JS number (for enums, counts and lengths, which fit). */
  uint32(): number {
    return Number(BigInt.asUintN(32, this.varint()));
  }

  /** An `int64` varint (two's complement) as a number. */
  int64(): number {
    return Number(BigInt.asIntN(64, this.varint()));
  }

  /** A `fixed64` as an unsigned bigint. */
  fixed64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A `double`. */
  double(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A `fixed32`. */
  fixed32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A length-delimited field's bytes (a view into the input, not a copy). */
  bytes(): Uint8Array {
    const len = this.varint();
    if (len > BigInt(this.end - this.pos)) throw new ProtobufError('length-delimited field past the end');
    const n = Number(len);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A `string` (UTF-8; invalid sequences become U+FFFD). */
  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A reader over an embedded message. */
  message(): ProtobufReader {
    const b = this.bytes();
    return new ProtobufReader(b);
  }

  /** Skips a field of an unknown number. Groups (wire types 3 and 4, long deprecated) are malformed here. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE.varint:
        this.varint();
        return;
      case WIRE.fixed64:
        this.need(8);
        this.pos += 8;
        return;
      case WIRE.bytes:
        this.bytes();
        return;
      case WIRE.fixed32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new ProtobufError(`unsupported wire type ${wire}`);
    }
  }

  private need(n: number): void {
    if (this.end - this.pos < n) throw new ProtobufError('truncated fixed-width field');
  }
}

/** Throws unless a known field came with the wire type its schema gives it. */
export function expectWire(field: number, wire: number, expected: number, where: string): void {
  if (wire !== expected)
    throw new ProtobufError(`${where} field ${field}: wire type ${wire}, expected ${expected}`);
}

/** Writes a small message: enough for OTLP responses. */
export class ProtobufWriter {
  private readonly parts: number[] = [];

  /** A varint field. */
  varint(field: number, value: number): this {
    this.key(field, WIRE.varint);
    this.raw(value);
    return this;
  }

  /** A length-delimited field (a string, or an embedded message's bytes). */
  bytes(field: number, value: string | Uint8Array): this {
    const b = typeof value === 'string' ? new TextEncoder().encode(value) : value;
    this.key(field, WIRE.bytes);
    this.raw(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(this.parts);
  }

  private key(field: number, wire: number): void {
    this.raw(field * 8 + wire);
  }

  private raw(value: number): void {
    let v = value;
    while (v > 0x7f) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
  }
}

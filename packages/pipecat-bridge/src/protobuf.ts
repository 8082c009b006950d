/**
 * A small reader for Pipecat's websocket protobuf frames (`ProtobufFrameSerializer`), enough to pull
 * the RTVI messages out of them. The schema is `frames.proto` of `pipecat-ai/pipecat` /
 * `pipecat-client-web-transports` (package `pipecat`):
 *
 * ```proto
 * message MessageFrame { string data = 1; }          // the RTVI message as a JSON string
 * message Frame {
 *   oneof frame {
 *     TextFrame text = 1; AudioRawFrame audio = 2; TranscriptionFrame transcription = 3;
 *     MessageFrame message = 4; InterruptionFrame interruption = 5;
 *   }
 * }
 * ```
 *
 * Only `message` matters here; other members (audio, the bulk of the traffic) are recognised from
 * their tag and skipped without being decoded.
 */

/** What a Pipecat protobuf frame holds, as far as RTVI is concerned. */
export type PipecatFrame =
  /** A `MessageFrame`: `data` is the RTVI message's JSON text. */
  | { kind: 'message'; data: string }
  /** Another frame type (audio, text, transcription, interruption, or one added later): its field number. */
  | { kind: 'other'; field: number }
  /** Not a valid protobuf `Frame`. */
  | { kind: 'invalid'; error: string };

const FRAME_MESSAGE = 4;
const MESSAGE_DATA = 1;
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

/** Reads protobuf fields from a byte range; throws on malformed input. */
class Reader {
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** An unsigned varint (up to 2^53 exactly; protobuf allows 10 bytes). */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error('truncated varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new Error('varint longer than 10 bytes');
  }

  /** A field key: its number and wire type. */
  key(): { field: number; wire: number } {
    const key = this.varint();
    const field = Math.floor(key / 8);
    if (field < 1 || field > 0x1fffffff) throw new Error(`invalid field number ${field}`);
    return { field, wire: key % 8 };
  }

  /** The byte range of a length-delimited field. */
  bytes(): { start: number; end: number } {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) throw new Error('length-delimited field runs past the end');
    this.pos = start + len;
    return { start, end: this.pos };
  }

  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.bytes();
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        // Groups (3, 4) do not exist in proto3; 6 and 7 are not wire types.
        throw new Error(`unsupported wire type ${wire}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new Error('fixed-width field runs past the end');
    this.pos += n;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a Pipecat protobuf `Frame`. Never throws. As protobuf requires, when a `oneof` member
 * appears more than once the last one wins, and repeated `MessageFrame`s merge (last `data` wins).
 */
export function decodePipecatFrame(bytes: Uint8Array): PipecatFrame {
  try {
    const r = new Reader(bytes);
    let last: number | null = null;
    let data: string | null = null;
    while (!r.done) {
      const { field, wire } = r.key();
      if (field === FRAME_MESSAGE && wire === WIRE_LEN) {
        const { start, end } = r.bytes();
        data = readMessageData(bytes, start, end) ?? data;
        last = FRAME_MESSAGE;
      } else {
        r.skip(wire);
        // Fields 1–5 are the oneof's members; any later field number is a frame type added after
        // this reader was written, and counts as "another frame" too.
        if (wire === WIRE_LEN) last = field;
      }
    }
    if (last === null) return { kind: 'invalid', error: 'empty frame' };
    if (last !== FRAME_MESSAGE) return { kind: 'other', field: last };
    return { kind: 'message', data: data ?? '' };
  } catch (err) {
    return { kind: 'invalid', error: err instanceof Error ? err.message : String(err) };
  }
}

/** The `data` string of a `MessageFrame` in `bytes[start, end)`, or `null` when it has none. */
function readMessageData(bytes: Uint8Array, start: number, end: number): string | null {
  const r = new Reader(bytes, start, end);
  let data: string | null = null;
  while (!r.done) {
    const { field, wire } = r.key();
    if (field === MESSAGE_DATA && wire === WIRE_LEN) {
      const range = r.bytes();
      data = utf8.decode(bytes.subarray(range.start, range.end));
    } else {
      r.skip(wire);
    }
  }
  return data;
}

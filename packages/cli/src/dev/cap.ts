/**
 * Caps what the viewer keeps of a received span and estimates its size, so the store can hold a
 * byte budget: each attribute value at most `maxValueBytes` (a string is cut, an array or key-value
 * list loses its tail), at most `MAX_ATTRIBUTES` attributes and `MAX_EVENTS` events per span, and the
 * whole span at most `SPAN_VALUES` values' worth (attributes, then events, past it are left out).
 *
 * Sizes are estimates of what the span keeps alive on the heap: 2 bytes per character (the worst case
 * of a JavaScript string), 8 per number, plus a fixed overhead per span, attribute and event.
 */
import type { AttributeValue, ReceivedSpan, SpanAttributes, SpanEvent } from './span.js';
import { setAttribute } from './span.js';

/** Attributes kept per span (and per event), as OpenTelemetry's SDK limits them by default. */
export const MAX_ATTRIBUTES = 128;
/** Events kept per span. */
export const MAX_EVENTS = 128;
/** A span keeps at most this many times `maxValueBytes`. */
const SPAN_VALUES = 64;
/** Estimated bytes of a span beside its strings: the objects, its ids, the store's indexes. */
const SPAN_OVERHEAD = 600;
const ENTRY_OVERHEAD = 48;
const TRUNCATED = '…';

/** A span as the store keeps it, its estimated size, and how many values were cut. */
export interface CappedSpan {
  span: ReceivedSpan;
  bytes: number;
  truncated: number;
}

/** Caps values and estimates sizes; keeps one capped copy per shared resource. */
export class SpanCapper {
  private readonly resources = new WeakMap<SpanAttributes, { attributes: SpanAttributes; bytes: number }>();

  constructor(private readonly maxValueBytes: number) {}

  cap(span: ReceivedSpan): CappedSpan {
    const count = { truncated: 0 };
    const budget = { left: SPAN_VALUES * this.maxValueBytes };
    const attributes = this.attributes(span.attributes, count, budget);
    const events: SpanEvent[] = [];
    let bytes = SPAN_OVERHEAD + attributes.bytes;
    for (const e of span.events.slice(0, MAX_EVENTS)) {
      if (budget.left <= 0) break;
      const a = this.attributes(e.attributes, count, budget);
      const name = this.string(e.name, count);
      events.push({ name: name.value, timeMs: e.timeMs, attributes: a.attributes });
      bytes += ENTRY_OVERHEAD + name.bytes + a.bytes;
    }
    if (events.length < span.events.length) count.truncated++;
    const name = this.string(span.name, count);
    const message = this.string(span.status.message, count);
    const resource = this.resource(span.resource, count);
    bytes += name.bytes + message.bytes + resource.bytes;
    return {
      span: {
        ...span,
        name: name.value,
        attributes: attributes.attributes,
        events,
        status: { code: span.status.code, message: message.value },
        resource: resource.attributes,
      },
      bytes,
      truncated: count.truncated,
    };
  }

  /** Resource attributes are shared by a request's spans: capped once, counted with every span. */
  private resource(r: SpanAttributes, count: { truncated: number }) {
    let capped = this.resources.get(r);
    if (!capped) {
      capped = this.attributes(r, count, { left: SPAN_VALUES * this.maxValueBytes });
      this.resources.set(r, capped);
    }
    return capped;
  }

  /** At most `MAX_ATTRIBUTES`, while the span's `budget` lasts. */
  private attributes(
    a: SpanAttributes,
    count: { truncated: number },
    budget: { left: number },
  ): { attributes: SpanAttributes; bytes: number } {
    const out: SpanAttributes = {};
    let bytes = 0;
    let n = 0;
    for (const key of Object.keys(a)) {
      if (n++ >= MAX_ATTRIBUTES || budget.left <= 0) {
        count.truncated++;
        break;
      }
      const k = this.string(key, count);
      const left = { bytes: this.maxValueBytes };
      const value = capValue(a[key]!, left, count);
      setAttribute(out, k.value, value);
      const size = ENTRY_OVERHEAD + k.bytes + (this.maxValueBytes - left.bytes);
      bytes += size;
      budget.left -= size;
    }
    return { attributes: out, bytes };
  }

  private string(s: string, count: { truncated: number }): { value: string; bytes: number } {
    const left = { bytes: this.maxValueBytes };
    const value = capValue(s, left, count) as string;
    return { value, bytes: this.maxValueBytes - left.bytes };
  }
}

/** `v` within `left.bytes` (which it decreases by the estimated size kept). */
function capValue(v: AttributeValue, left: { bytes: number }, count: { truncated: number }): AttributeValue {
  if (typeof v === 'string') {
    const chars = Math.max(0, Math.floor(left.bytes / 2));
    if (v.length <= chars) {
      left.bytes -= 2 * v.length;
      return v;
    }
    count.truncated++;
    const kept = detached(v.slice(0, Math.max(0, chars - TRUNCATED.length)) + TRUNCATED);
    left.bytes -= 2 * kept.length;
    return kept;
  }
  if (v === null || typeof v !== 'object') {
    left.bytes -= 8;
    return v;
  }
  if (Array.isArray(v)) {
    const out: AttributeValue[] = [];
    for (const x of v) {
      if (left.bytes <= 0) {
        count.truncated++;
        break;
      }
      left.bytes -= 8;
      out.push(capValue(x, left, count));
    }
    return out;
  }
  const out: Record<string, AttributeValue> = {};
  for (const key of Object.keys(v)) {
    if (left.bytes <= 0) {
      count.truncated++;
      break;
    }
    left.bytes -= ENTRY_OVERHEAD;
    const k = capValue(key, left, count) as string;
    setAttribute(out, k, capValue(v[key]!, left, count));
  }
  return out;
}

/**
 * A copy of `s` that shares no memory with the string it was cut from: V8 keeps a slice as a view of
 * its parent, which would keep the whole uncapped value alive.
 */
function detached(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

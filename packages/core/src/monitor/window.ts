/**
 * The monitor's memory: a ring of time buckets (default 30 × 10 s = 5 minutes), each holding
 * DDSketches of latencies and counters for rates. The ring never grows, sketches are created
 * lazily and collapse their lowest bins past a fixed limit, so memory is bounded whatever the
 * traffic. Observations land in the bucket of the clock's now (arrival time, as a Prometheus
 * `rate()` counts them), so a post-call report counts when it arrives.
 */
import { LogCollapsingLowestDenseDDSketch } from '@datadog/sketches-js';

/** Relative accuracy of every sketch: a returned quantile is within 1 % of a true value. */
export const RELATIVE_ACCURACY = 0.01;
/**
 * Bins per sketch. At 1 % accuracy, 1024 bins span a factor of about 8·10⁸ (1 ms to ~9 days)
 * before the lowest bins collapse, and bound a sketch at ~8 KiB.
 */
export const SKETCH_BIN_LIMIT = 1024;

/** A mergeable quantile sketch with bounded memory. */
export type Sketch = LogCollapsingLowestDenseDDSketch;

/** A new, empty sketch. */
export function newSketch(): Sketch {
  return new LogCollapsingLowestDenseDDSketch({
    relativeAccuracy: RELATIVE_ACCURACY,
    binLimit: SKETCH_BIN_LIMIT,
  });
}

/** Value at quantile `q` of a sketch, or `null` when it is empty. */
export function quantileOf(sketch: Sketch | null, q: number): number | null {
  if (!sketch || sketch.count === 0) return null;
  return sketch.getValueAtQuantile(q);
}

/**
 * Latency series with a sketch per bucket. `e2e` is the turn latency; then each component's own
 * figure (STT latency, end-of-turn delay, LLM TTFT and total, tool duration, TTS TTFB, and the
 * network part of turns whose whole wait was measured: `networkMs`); then each component's part of the turn latency
 * (`TurnRecord.breakdown`), which names the layer of a latency breach.
 */
export const SERIES = [
  'e2e',
  'stt',
  'turnDetection',
  'llmTtft',
  'llmTotal',
  'tool',
  'ttsTtfb',
  'network',
  'part.stt',
  'part.turn_detection',
  'part.llm',
  'part.tool',
  'part.tts',
] as const;
/** A latency series of the window. */
export type Series = (typeof SERIES)[number];
/** Index of each series in a bucket's sketch array. */
export const S = Object.fromEntries(SERIES.map((s, i) => [s, i])) as { readonly [K in Series]: number };

/**
 * Counters of each bucket. Turn-level ones are counted per finished turn, call-level ones per
 * finished conversation, quality ones per `recordQuality` call.
 */
export const COUNTERS = [
  // Turns.
  'turns',
  'turnErrors',
  'interruptedTurns',
  'sttRequests',
  'sttErrors',
  'sttTranscripts',
  'llmCalls',
  'llmErrors',
  'toolCalls',
  'toolErrors',
  'ttsCalls',
  'ttsErrors',
  // Errors by layer (turn errors and errors outside turns).
  'errors.telephony',
  'errors.stt',
  'errors.llm',
  'errors.tool',
  'errors.tts',
  'errors.dialog',
  // Conversations.
  'conversations',
  'connectAttempts',
  'connectFailures',
  'failedCalls',
  'transferred',
  'abandoned',
  'taskKnown',
  'taskCompleted',
  'spikeCalls',
  // Ground truth fed by the user or an evaluation job.
  'werTranscripts',
  'werWeighted',
  'werWords',
  'intentsChecked',
  'intentsCorrect',
  'bargeInsChecked',
  'bargeInsFalse',
] as const;
/** A counter of the window. */
export type CounterName = (typeof COUNTERS)[number];
/** Index of each counter in a bucket's counter array. */
export const C = Object.fromEntries(COUNTERS.map((s, i) => [s, i])) as {
  readonly [K in CounterName]: number;
};

/** One time bucket: counters and lazily created sketches. */
export class Bucket {
  /** Bucket number (`floor(t / bucketMs)`); -1 while unused. */
  index = -1;
  readonly counters = new Float64Array(COUNTERS.length);
  readonly sketches: (Sketch | null)[] = new Array<Sketch | null>(SERIES.length).fill(null);

  reset(index: number): void {
    this.index = index;
    this.counters.fill(0);
    this.sketches.fill(null);
  }

  /** Adds a latency (ms) to a series; ignores negative, non-finite and missing values. */
  add(series: number, value: number | null | undefined): void {
    if (value == null || !(value >= 0) || value === Number.POSITIVE_INFINITY) return;
    let sketch = this.sketches[series];
    if (!sketch) {
      sketch = newSketch();
      this.sketches[series] = sketch;
    }
    sketch.accept(value);
  }
}

/**
 * The window's buckets merged, as rules and measures read it. An interface, so that the public types name no
 * third-party sketch type.
 */
export interface WindowReader {
  /** Start (inclusive) of the buckets merged, epoch ms. */
  readonly from: number;
  /** End (exclusive) of the buckets merged, epoch ms. */
  readonly to: number;
  /** A counter's sum over the window. */
  count(name: CounterName): number;
  /** Number of values of a latency series. */
  samples(series: Series): number;
  /** Quantile `q` of a latency series in ms, or `null` with no data. */
  quantile(series: Series, q: number): number | null;
}

/** The window's buckets merged: what the rules and the snapshot read. */
export class WindowView implements WindowReader {
  constructor(
    readonly from: number,
    readonly to: number,
    private readonly counters: Float64Array,
    private readonly sketches: readonly (Sketch | null)[],
  ) {}

  /** A counter's sum over the window. */
  count(name: CounterName): number {
    return this.counters[C[name]]!;
  }

  /** Number of values of a latency series. */
  samples(series: Series): number {
    return this.sketches[S[series]]?.count ?? 0;
  }

  /** Quantile `q` of a latency series in ms, or `null` with no data. */
  quantile(series: Series, q: number): number | null {
    return quantileOf(this.sketches[S[series]] ?? null, q);
  }

  /** The merged sketch of a latency series (an incident starts its own from it), or `null` with no data. */
  sketch(series: Series): Sketch | null {
    return this.sketches[S[series]] ?? null;
  }
}

/** Options of {@link SlidingWindow}. */
export interface WindowOptions {
  /** Length of the window, ms. Rounded up to whole buckets. */
  windowMs: number;
  /** Length of a bucket, ms. */
  bucketMs: number;
}

/** A fixed ring of {@link Bucket}s covering the last `windowMs`. */
export class SlidingWindow {
  readonly bucketMs: number;
  readonly bucketCount: number;
  private readonly ring: Bucket[];
  /** Newest bucket number seen: time never goes back in the window. */
  private latest = Number.NEGATIVE_INFINITY;

  constructor(options: WindowOptions) {
    this.bucketMs = options.bucketMs;
    this.bucketCount = Math.max(1, Math.ceil(options.windowMs / options.bucketMs));
    this.ring = Array.from({ length: this.bucketCount }, () => new Bucket());
  }

  /** Length of the window, ms (whole buckets). */
  get windowMs(): number {
    return this.bucketCount * this.bucketMs;
  }

  /** The bucket observations at time `t` go to, recycling the slot of an expired bucket. */
  bucket(t: number): Bucket {
    let index = Math.floor(t / this.bucketMs);
    // A clock that steps back (NTP) must not write into an expired slot.
    if (index < this.latest) index = this.latest;
    else this.latest = index;
    const slot = this.ring[((index % this.bucketCount) + this.bucketCount) % this.bucketCount]!;
    if (slot.index !== index) slot.reset(index);
    return slot;
  }

  /** Merges the buckets of the window ending at `t` (the newest bucket included). */
  view(t: number): WindowView {
    const newest = Math.max(Math.floor(t / this.bucketMs), this.latest);
    const oldest = newest - this.bucketCount + 1;
    const counters = new Float64Array(COUNTERS.length);
    const sketches: (Sketch | null)[] = new Array<Sketch | null>(SERIES.length).fill(null);
    for (const b of this.ring) {
      if (b.index < oldest || b.index > newest) continue;
      for (let i = 0; i < counters.length; i++) counters[i] = counters[i]! + b.counters[i]!;
      for (let i = 0; i < sketches.length; i++) {
        const s = b.sketches[i];
        if (!s || s.count === 0) continue;
        let merged = sketches[i];
        if (!merged) {
          merged = newSketch();
          sketches[i] = merged;
        }
        merged.merge(s);
      }
    }
    return new WindowView(oldest * this.bucketMs, (newest + 1) * this.bucketMs, counters, sketches);
  }
}

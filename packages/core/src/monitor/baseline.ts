/**
 * Hour-of-week baseline of turn latency (seed 000: "alert when a metric deviates more than 50 %
 * from its 7-day baseline at the same time of day"). Each of the 168 hours of the week (UTC) keeps
 * two bounded sketches: the week being filled and the most recent earlier week with traffic in that
 * hour. The baseline of an hour is always an earlier week, so an incident never hides in its own
 * baseline. It exports to plain JSON and imports back, so it survives restarts.
 */
import { z } from 'zod';
import type { Reading } from './measures.js';
import { newSketch, quantileOf, RELATIVE_ACCURACY, type Sketch } from './window.js';

const HOUR_MS = 3_600_000;
/** Hours of the epoch's first Monday 00:00 UTC before 1970-01-01 (a Thursday). */
const MONDAY_OFFSET_HOURS = 72;
const HOURS_PER_WEEK = 168;

/** Hour of the week of `t`, 0 = Monday 00:00–01:00 UTC. */
export function hourOfWeek(t: number): number {
  return (Math.floor(t / HOUR_MS) + MONDAY_OFFSET_HOURS) % HOURS_PER_WEEK;
}

/** Number of the week of `t` since the epoch (weeks start Monday 00:00 UTC). */
export function weekOf(t: number): number {
  return Math.floor((Math.floor(t / HOUR_MS) + MONDAY_OFFSET_HOURS) / HOURS_PER_WEEK);
}

const count = z.number().finite().nonnegative();

/** One hour-of-week sketch in {@link BaselineData}: counts of consecutive sketch keys from `minKey`. */
const hourSchema = z
  .object({
    hourOfWeek: z
      .number()
      .int()
      .min(0)
      .max(HOURS_PER_WEEK - 1),
    week: z.number().int(),
    /** Turns in the sketch: `zeroCount` plus the sum of `counts`. */
    count,
    zeroCount: count,
    minKey: z.number().int(),
    counts: z.array(count).max(100_000),
  })
  .superRefine((h, ctx) => {
    const sum = h.counts.reduce((a, b) => a + b, h.zeroCount);
    if (Math.abs(sum - h.count) > 1e-6 * Math.max(1, h.count))
      ctx.addIssue({
        code: 'custom',
        path: ['count'],
        message: `count ${h.count} is not zeroCount + sum(counts) = ${sum}`,
      });
  });

/** Zod schema of an exported baseline. */
export const baselineDataSchema = z.object({
  format: z.literal('voxtrace.baseline'),
  version: z.literal(1),
  /** What was measured: turn latency (end of user speech → first agent audio), ms. */
  series: z.literal('e2eLatencyMs'),
  relativeAccuracy: z.literal(RELATIVE_ACCURACY),
  hours: z.array(hourSchema).max(HOURS_PER_WEEK * 2),
});
/** A baseline as JSON (see {@link LatencyBaseline.toJSON}). */
export type BaselineData = z.infer<typeof baselineDataSchema>;

/** Thrown by {@link LatencyBaseline.load} for data that is not an exported baseline. */
export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

interface Slot {
  week: number;
  sketch: Sketch | null;
  prevWeek: number;
  prev: Sketch | null;
}

/** See the module comment. */
export class LatencyBaseline {
  private readonly slots: Slot[] = Array.from({ length: HOURS_PER_WEEK }, () => ({
    week: Number.NEGATIVE_INFINITY,
    sketch: null,
    prevWeek: Number.NEGATIVE_INFINITY,
    prev: null,
  }));

  /** Learns one turn latency (ms) observed at `t`. */
  record(t: number, latencyMs: number): void {
    if (!(latencyMs >= 0) || latencyMs === Number.POSITIVE_INFINITY) return;
    const slot = this.slots[hourOfWeek(t)]!;
    const week = weekOf(t);
    if (week > slot.week) this.roll(slot, week);
    // A clock that steps back into an earlier week: keep learning into the current sketch.
    slot.sketch ??= newSketch();
    slot.sketch.accept(latencyMs);
  }

  /** Quantile `q` of the same hour of the week as `t`, from the latest earlier week with data. */
  at(t: number, q = 0.9): Reading {
    const slot = this.slots[hourOfWeek(t)]!;
    const week = weekOf(t);
    const sketch = slot.week < week && slot.sketch ? slot.sketch : slot.prevWeek < week ? slot.prev : null;
    return { value: quantileOf(sketch, q), samples: sketch?.count ?? 0 };
  }

  /** The baseline as JSON-safe data. */
  toJSON(): BaselineData {
    const hours: BaselineData['hours'] = [];
    this.slots.forEach((slot, hour) => {
      for (const [week, sketch] of [
        [slot.prevWeek, slot.prev],
        [slot.week, slot.sketch],
      ] as const) {
        if (sketch && sketch.count > 0) hours.push({ hourOfWeek: hour, week, ...exportSketch(sketch) });
      }
    });
    return {
      format: 'voxtrace.baseline',
      version: 1,
      series: 'e2eLatencyMs',
      relativeAccuracy: RELATIVE_ACCURACY,
      hours,
    };
  }

  /**
   * Merges an exported baseline (from {@link toJSON}, possibly of another process) into this one.
   * Throws a {@link BaselineError} naming what is wrong when `data` is not one.
   */
  load(data: unknown): void {
    const parsed = baselineDataSchema.safeParse(data);
    if (!parsed.success) {
      throw new BaselineError(
        `invalid baseline: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'baseline'}: ${i.message}`).join('; ')}`,
      );
    }
    for (const h of parsed.data.hours) this.place(h.hourOfWeek, h.week, importSketch(h));
  }

  /** Starts `week` in a slot: the current sketch becomes the previous one if it has data. */
  private roll(slot: Slot, week: number): void {
    if (slot.sketch && slot.sketch.count > 0) {
      slot.prev = slot.sketch;
      slot.prevWeek = slot.week;
    }
    slot.week = week;
    slot.sketch = null;
  }

  private place(hour: number, week: number, sketch: Sketch): void {
    const slot = this.slots[hour]!;
    if (week > slot.week) {
      this.roll(slot, week);
      slot.sketch = sketch;
    } else if (week === slot.week) {
      slot.sketch ??= newSketch();
      slot.sketch.merge(sketch);
    } else if (week === slot.prevWeek) {
      slot.prev!.merge(sketch);
    } else if (week > slot.prevWeek) {
      slot.prev = sketch;
      slot.prevWeek = week;
    }
    // Older than both kept weeks: nothing to learn.
  }
}

function exportSketch(s: Sketch): Omit<BaselineData['hours'][number], 'hourOfWeek' | 'week'> {
  const store = s.store;
  const counts: number[] = [];
  if (store.count > 0) {
    for (let key = store.minKey; key <= store.maxKey; key++) counts.push(store.bins[key - store.offset] ?? 0);
  }
  return { count: s.count, zeroCount: s.zeroCount, minKey: store.count > 0 ? store.minKey : 0, counts };
}

function importSketch(h: BaselineData['hours'][number]): Sketch {
  const s = newSketch();
  // Each key's representative value maps back to the same key, so the bins are restored exactly.
  h.counts.forEach((n, i) => {
    if (n > 0) s.accept(s.mapping.value(h.minKey + i), n);
  });
  if (h.zeroCount > 0) s.accept(0, h.zeroCount);
  return s;
}

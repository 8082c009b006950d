/**
 * The deliveries of one Retell call folded into one call object, the same whatever order they came in.
 *
 * Retell sends the call object three times, each richer than the last: `call_started` (ids, start),
 * `call_ended` (+ end, transcript, latency, cost; the transcript may still be missing) and
 * `call_analyzed` (the complete object + `call_analysis`). Each field keeps the value of the richest
 * delivery that carried it (a missing, `null` or empty field carries nothing), so the result depends on
 * which deliveries came, never on their order. Only the fields voxtrace reads are kept.
 */
import { type RetellCall, retellCallSchema } from './schema.js';

/** The webhook deliveries that carry the call object, poorest first. */
export type CallDelivery = 'call_started' | 'call_ended' | 'call_analyzed';
const RICHNESS: Record<CallDelivery, number> = { call_started: 1, call_ended: 2, call_analyzed: 3 };

const READ_FIELDS = Object.keys(retellCallSchema.shape) as (keyof RetellCall)[];

const carries = (v: unknown) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0);

/** One call's deliveries, merged. */
export class MergedCall {
  /** The merged call object (only the fields voxtrace reads). */
  readonly call: RetellCall;
  /** The deliveries taken, in arrival order. */
  readonly events: CallDelivery[] = [];
  private readonly richness = new Map<keyof RetellCall, number>();

  constructor(callId: string) {
    this.call = { call_id: callId };
  }

  /** `call_ended` or `call_analyzed` was taken: the call is over. */
  get postCall(): boolean {
    return this.events.some((e) => e !== 'call_started');
  }

  /** Folds in one delivery (each event once: retries are deduplicated before). */
  add(event: CallDelivery, call: RetellCall): void {
    this.events.push(event);
    const rank = RICHNESS[event];
    const target = this.call as Record<string, unknown>;
    for (const key of READ_FIELDS) {
      const value = call[key];
      if (key === 'call_id' || !carries(value) || (this.richness.get(key) ?? 0) >= rank) continue;
      target[key] = value;
      this.richness.set(key, rank);
    }
  }
}

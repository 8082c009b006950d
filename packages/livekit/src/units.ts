/**
 * Unit conversion, done once, here. LiveKit Agents for Node reports in two units:
 * - `ChatMessage.metrics` (`MetricsReport`): seconds, and epoch seconds for the `*At` fields;
 * - `metrics_collected` payloads and every event's `createdAt`: milliseconds (`*Ms`), epoch ms.
 * voxtrace works in milliseconds and epoch milliseconds.
 */

/** A finite, non-negative number, else `undefined` (LiveKit uses `-1` and `0` for "unknown"). */
export function known(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Epoch seconds (a `MetricsReport` `*At` field) → epoch ms. LiveKit derives them from
 * `Date.now() / 1000`, so rounding recovers the exact millisecond.
 */
export function epochSecondsToMs(seconds: number | undefined): number | undefined {
  const s = known(seconds);
  return s === undefined || s === 0 ? undefined : Math.round(s * 1000);
}

/** A duration in seconds (a `MetricsReport` delay or latency) → ms, kept to the microsecond. */
export function secondsToMs(seconds: number | undefined): number | undefined {
  const s = known(seconds);
  return s === undefined ? undefined : Math.round(s * 1_000_000) / 1000;
}

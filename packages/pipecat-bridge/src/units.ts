/**
 * Unit conversion, done once, here. Pipecat reports every duration (`ttfb`, `processing`, `ttfa`,
 * `ttfat`, `audio_seconds`) and the forwarder's envelope `ts` in seconds; voxtrace works in
 * milliseconds.
 */

/**
 * Seconds → milliseconds, rounded to the microsecond so that float noise does not leak into
 * attributes (`0.454 * 1000` is `454.00000000000006`).
 */
export function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1_000_000) / 1000;
}

/** Adds two millisecond figures, rounded to the microsecond (sums of converted floats drift otherwise). */
export function addMs(a: number, b: number): number {
  return Math.round((a + b) * 1000) / 1000;
}

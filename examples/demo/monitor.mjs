// @ts-check
/**
 * The demo's monitor: voxtrace's real monitor, default rules and all, on a compressed clock. In
 * production the window is 5 minutes, rules must hold for 1 to 3 minutes (`for`) and an incident
 * resolves after 5 clear minutes; a demo of about a minute divides every duration by
 * {@link TIME_COMPRESSION}. A handful of calls also makes fewer turns than a fleet, so each rule needs
 * {@link MIN_SAMPLES} observations in the window instead of 20 to 500. Nothing else changes: the
 * thresholds, comparisons, severities and layers are the defaults, and incidents open and resolve
 * from what the calls measure.
 */
import { ALERTMANAGER_ROUTING } from '@voxtrace/core/thresholds';

/** @typedef {import('@voxtrace/core').MonitorOptions} MonitorOptions */
/** @typedef {import('@voxtrace/core').MonitorRule} MonitorRule */

/** Every duration of the monitor is divided by this: one demo second stands for 30 seconds. */
export const TIME_COMPRESSION = 30;
/** Observations a rule needs in the window (production defaults: 20 to 500). */
export const MIN_SAMPLES = 5;

/** The production window (the seed rules' `[5m]`) and cool-down (Alertmanager's `resolve_timeout`). */
const PRODUCTION = { windowMs: 300_000, coolDownMs: ALERTMANAGER_ROUTING.resolveTimeoutSeconds * 1000 };

/** @type {MonitorOptions} */
export const DEMO_MONITOR = {
  windowMs: PRODUCTION.windowMs / TIME_COMPRESSION,
  bucketMs: 500,
  evaluationIntervalMs: 500,
  coolDownMs: PRODUCTION.coolDownMs / TIME_COMPRESSION,
  rules: (defaults) =>
    defaults.map((r) => ({
      ...r,
      forMs: r.forMs / TIME_COMPRESSION,
      minSamples: Math.min(r.minSamples, MIN_SAMPLES),
    })),
};

/** @param {number} ms */
const seconds = (ms) => (ms >= 60_000 ? `${ms / 60_000} min` : `${+(ms / 1000).toFixed(1)} s`);

/**
 * What the demo's monitor does differently, for the terminal and the docs.
 * @param {readonly MonitorRule[]} rules the rules in force (`vt.monitor.rules`)
 */
export function describeMonitor(rules) {
  const fors = [...new Set(rules.map((r) => r.forMs))].sort((a, b) => a - b);
  return [
    `monitor on a ${TIME_COMPRESSION}× compressed clock (the default rules and thresholds, shorter durations):`,
    `  window ${seconds(DEMO_MONITOR.windowMs ?? 0)} (production ${seconds(PRODUCTION.windowMs)}), ` +
      `rules hold for ${fors.map(seconds).join(' / ')} before firing ` +
      `(production ${fors.map((f) => seconds(f * TIME_COMPRESSION)).join(' / ')}), ` +
      `resolved after ${seconds(DEMO_MONITOR.coolDownMs ?? 0)} clear (production ${seconds(PRODUCTION.coolDownMs)}), ` +
      `at least ${MIN_SAMPLES} observations per rule (production 20 to 500)`,
  ];
}

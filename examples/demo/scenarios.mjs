// @ts-check
/**
 * What the demo's fake providers do, and when. Each component's latency is drawn per request from a
 * lognormal distribution (the usual shape of service latencies: most requests near the median, a long
 * tail) with a healthy median and P90 on seed 000's component targets; a scenario changes one
 * component for a stretch of the run (its fault window) and leaves it healthy before and after.
 */
import { APIStatusError } from '@livekit/agents';

/**
 * @typedef {'healthy' | 'llm-degradation' | 'stt-outage' | 'tts-errors'} ScenarioName
 * @typedef {{ median: number, p90: number, max: number }} Distribution ms
 */

/**
 * Healthy latencies, ms, under seed 000's "Production latency benchmarks" targets (STT < 200, LLM TTFT
 * < 400, LLM total < 1000, TTS TTFB < 150) with headroom, as a well-tuned agent with fast providers runs.
 * @type {Record<'stt' | 'llmTtft' | 'llmGeneration' | 'ttsTtfb' | 'tool', Distribution>}
 */
export const HEALTHY = {
  stt: { median: 90, p90: 115, max: 250 },
  llmTtft: { median: 230, p90: 300, max: 600 },
  llmGeneration: { median: 280, p90: 400, max: 900 },
  ttsTtfb: { median: 60, p90: 80, max: 150 },
  tool: { median: 150, p90: 250, max: 600 },
};

/**
 * The degraded LLM: time to first token around 4.5 s. Capped at 6.5 s so that a turn with a tool
 * round-trip (two LLM calls) stays under the 15 s SEV-1 line: the scenario is a SEV-2.
 * @type {Distribution}
 */
export const DEGRADED_LLM_TTFT = { median: 4500, p90: 6000, max: 6500 };

/** Share of TTS requests that fail while `tts-errors` runs (each is retried once, as configured). */
export const TTS_FAILURE_RATE = 0.5;

/** The fault window, as fractions of the run: from 16 % to 43 % (12 s to 32 s of the default 75 s). */
const FAULT = { from: 0.16, to: 0.43 };

/**
 * @typedef {object} Scenario
 * @property {ScenarioName} name
 * @property {string} summary What happens, in one line.
 * @property {string | null} fault Label of the fault window on the progress line (`null`: none).
 * @property {boolean} expectsIncident
 */

/** @type {Record<ScenarioName, Scenario>} */
export const SCENARIOS = {
  healthy: {
    name: 'healthy',
    summary: 'every component on target for the whole run',
    fault: null,
    expectsIncident: false,
  },
  'llm-degradation': {
    name: 'llm-degradation',
    summary: `the LLM's time to first token goes from ~${HEALTHY.llmTtft.median} ms to ~${DEGRADED_LLM_TTFT.median / 1000} s, then recovers`,
    fault: 'LLM degraded',
    expectsIncident: true,
  },
  'stt-outage': {
    name: 'stt-outage',
    summary: 'the STT stays connected but returns no transcripts, then recovers',
    fault: 'STT outage',
    expectsIncident: true,
  },
  'tts-errors': {
    name: 'tts-errors',
    summary: `${TTS_FAILURE_RATE * 100} % of TTS requests fail (each retried once), then the provider recovers`,
    fault: 'TTS errors',
    expectsIncident: true,
  },
};

/** @param {string} name @returns {name is ScenarioName} */
export function isScenarioName(name) {
  return Object.hasOwn(SCENARIOS, name);
}

/**
 * When the fault is on, ms after the start of a run of `durationMs` (`null` for `healthy`).
 * @param {Scenario} scenario
 * @param {number} durationMs
 * @returns {{ fromMs: number, toMs: number } | null}
 */
export function faultWindow(scenario, durationMs) {
  if (!scenario.fault) return null;
  return { fromMs: Math.round(durationMs * FAULT.from), toMs: Math.round(durationMs * FAULT.to) };
}

/** A seeded pseudo-random source in [0, 1) (mulberry32), so runs draw the same sequences. */
export function randomSource(seed = 20260221) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** z of the 90th percentile of a standard normal. */
const Z90 = 1.2815515655446004;

/**
 * A sampler of a lognormal distribution with the given median and P90, cut at `max`.
 * @param {() => number} random
 * @param {Distribution} d
 */
export function lognormal(random, d) {
  const sigma = Math.log(d.p90 / d.median) / Z90;
  return () => {
    // Box–Muller: a standard normal from two uniforms.
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.min(d.max, Math.round(d.median * Math.exp(sigma * z)));
  };
}

/**
 * The latencies and failures the fake providers use, sampled per request.
 * @typedef {object} Providers
 * @property {() => number | null} sttDelayMs STT delay of a final transcript; `null`: nothing is transcribed.
 * @property {() => number} llmTtftMs
 * @property {() => number} llmGenerationMs after the first token
 * @property {() => number} ttsTtfbMs
 * @property {() => Error | null} ttsFailure
 * @property {() => number} toolMs
 */

/**
 * The providers of a run: healthy, except inside the scenario's fault window.
 * @param {Scenario} scenario
 * @param {{ durationMs: number, elapsedMs: () => number, random: () => number }} run
 * @returns {Providers}
 */
export function providers(scenario, { durationMs, elapsedMs, random }) {
  const window = faultWindow(scenario, durationMs);
  const faulty = () => {
    if (!window) return false;
    const t = elapsedMs();
    return t >= window.fromMs && t < window.toMs;
  };
  const stt = lognormal(random, HEALTHY.stt);
  const ttft = lognormal(random, HEALTHY.llmTtft);
  const slowTtft = lognormal(random, DEGRADED_LLM_TTFT);
  const generation = lognormal(random, HEALTHY.llmGeneration);
  const tts = lognormal(random, HEALTHY.ttsTtfb);
  const tool = lognormal(random, HEALTHY.tool);
  const is = (/** @type {ScenarioName} */ name) => scenario.name === name && faulty();
  return {
    sttDelayMs: () => (is('stt-outage') ? null : stt()),
    llmTtftMs: () => (is('llm-degradation') ? slowTtft() : ttft()),
    llmGenerationMs: () => (is('llm-degradation') ? 2 * generation() : generation()),
    ttsTtfbMs: tts,
    ttsFailure: () =>
      is('tts-errors') && random() < TTS_FAILURE_RATE
        ? new APIStatusError({
            message: 'synthesis backend overloaded',
            options: { statusCode: 503, retryable: true },
          })
        : null,
    toolMs: tool,
  };
}

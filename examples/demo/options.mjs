// @ts-check
/** Command-line options of `npm run demo`. */
import { parseArgs } from 'node:util';
import { DEFAULT_DEV_PORT } from '@voxtrace/cli';
import { isScenarioName, SCENARIOS } from './scenarios.mjs';

/**
 * @typedef {object} DemoOptions
 * @property {number} calls Concurrent calls.
 * @property {number} durationMs How long calls are placed.
 * @property {import('./scenarios.mjs').Scenario} scenario
 * @property {boolean} once Exit when the run ends, instead of keeping the viewer up until Ctrl-C.
 * @property {number} port The viewer's port (0: any free one).
 * @property {boolean} portGiven Whether `--port` was given (else a busy default port falls back to a free one).
 */

export const USAGE = `Usage: npm run demo -- [options]

Real LiveKit AgentSessions (fake STT, LLM and TTS with realistic latencies, no LiveKit server) take
simulated phone calls, traced by @voxtrace/livekit and shown live in the voxtrace dev viewer.

Options:
  --calls N          concurrent calls (default 8, 1 to 32)
  --duration S       seconds of calls (default 75, 20 to 3600)
  --scenario NAME    ${Object.keys(SCENARIOS).join(' | ')} (default llm-degradation)
  --once             exit when the run ends (for CI); by default the viewer stays up until Ctrl-C
  --port N           the viewer's port (default ${DEFAULT_DEV_PORT}, or a free one if it is taken; 0: any free port)
  -h, --help         this help
`;

/** Thrown for a bad command line; its message says what is wrong. */
export class UsageError extends Error {
  /** @override */
  name = 'UsageError';
}

/**
 * Parses the arguments; throws {@link UsageError} for a bad one. `null` means `--help`.
 * @param {string[]} args
 * @returns {DemoOptions | null}
 */
export function parseOptions(args) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        calls: { type: 'string', default: '8' },
        duration: { type: 'string', default: '75' },
        scenario: { type: 'string', default: 'llm-degradation' },
        once: { type: 'boolean', default: false },
        port: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return null;
  const scenario = values.scenario;
  if (!isScenarioName(scenario))
    throw new UsageError(`--scenario must be one of ${Object.keys(SCENARIOS).join(', ')}, got ${scenario}`);
  return {
    calls: integer('--calls', values.calls, 1, 32),
    durationMs: integer('--duration', values.duration, 20, 3600) * 1000,
    scenario: SCENARIOS[scenario],
    once: values.once,
    port: values.port === undefined ? DEFAULT_DEV_PORT : integer('--port', values.port, 0, 65_535),
    portGiven: values.port !== undefined,
  };
}

/**
 * @param {string} name
 * @param {string} text
 * @param {number} min
 * @param {number} max
 */
function integer(name, text, min, max) {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got ${text}`);
  return n;
}

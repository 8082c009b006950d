/** The example agent in `--fake` mode runs here and traces its calls (guards the example against rot). */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

const example = fileURLToPath(new URL('../../../examples/livekit/agent.mjs', import.meta.url));

it('examples/livekit/agent.mjs --fake answers two turns, one with a tool, and ends the conversation', () => {
  const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };
  const out = execFileSync(process.execPath, [example, '--fake'], { encoding: 'utf8', env });
  expect(out).toContain('agent: It is sunny and 21C in Paris.');
  expect(out).toMatch(/turn 2 \(user\): llm calls 2, tools getWeather \d+ ms/);
  expect(out).toMatch(/conversation example-\d+: 2 turns, outcome completed, trace [0-9a-f]{32}/);
});

import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CALL_ID, repoRoot } from './helpers.js';
import { ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

describe('examples/vapi', () => {
  it('runs a server on 127.0.0.1 that receives every fixture', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [resolve(repoRoot, 'examples/vapi/server.mjs'), '--send-fixtures'],
      {
        cwd: repoRoot,
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' },
      },
    );
    expect(stdout).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\/vapi/);
    for (const name of [
      'status-update-in-progress',
      'speech-update',
      'tool-calls',
      'status-update-ended',
      'end-of-call-report',
    ]) {
      expect(stdout).toContain(`POST vapi-${name}.json → 200`);
    }
    expect(stdout).toContain('"result":"done: get_weather"');
    expect(stdout).toContain("turn 2 (user): felt 5470 ms (Vapi's figure 3553 ms)");
    expect(stdout).toContain(`call ${CALL_ID}: completed, 3 turns`);
  });
});

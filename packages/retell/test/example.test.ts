import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './helpers.js';
import { ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

describe('examples/retell', () => {
  it('simulate.mjs plays a call against server.mjs: live turns, webhooks with a retry, one completed call', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(repoRoot, 'examples/retell/simulate.mjs')],
      {
        cwd: repoRoot,
        timeout: 20_000,
      },
    );
    expect(stdout).toMatch(/turn #1 \(agent\)/);
    expect(stdout.match(/call_ended → 204/g)).toHaveLength(2);
    expect(stdout).toMatch(/call_analyzed → 204/);
    expect(stdout).toMatch(/: completed, task completed: true, 3 turns, trace [0-9a-f]{32}/);
  });
});

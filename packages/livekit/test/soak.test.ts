/**
 * 50 real text-mode sessions one after another, instrumented, in a child process started with
 * `--expose-gc` (see fixtures/soak.mjs): every span ended, every conversation closed, no listener left
 * on a closed session, and a flat heap. A retained session costs about 130 KB, so 30 leaked sessions
 * would add about 4 MB between the 20th and the 50th; the bound below is 1 MB.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { ensureBuilt } from '../../../test/helpers/built.js';

// These tests run the built packages as users do (`npm test` builds first; a lone file builds if stale).
beforeAll(ensureBuilt, 600_000);

const soak = fileURLToPath(new URL('./fixtures/soak.mjs', import.meta.url));

it('runs 50 sessions with no open span, no listener left and flat memory', () => {
  const out = execFileSync(process.execPath, ['--expose-gc', soak, '50'], {
    encoding: 'utf8',
  });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  expect(r.conversations).toBe(50);
  expect(r.turns).toBe(100);
  expect(r.openConversations).toBe(0);
  expect(r.openSpans).toBe(0);
  // conversation + 2 turns + 3 llm + 1 tool per session
  expect(r.spansEnded).toBe(50 * 7);
  expect(r.listenersLeft).toEqual([]);
  expect(r.diagnostics).toEqual({});
  const [, at20, , , at50] = r.heapMb as number[];
  expect(at50! - at20!).toBeLessThan(1);
}, 180_000);

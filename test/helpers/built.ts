/**
 * The built packages, for the tests that run what users run in a child process: the `voxtrace` binary, the
 * examples, the demo, the packed tarballs, the CommonJS and ESM builds. Every other test imports the sources
 * (vitest aliases from tsconfig.json's `paths`). `npm test` builds first; a lone `npx vitest run <file>` on a
 * fresh clone, or after an edit, builds here: tsup runs when a package's `dist/` is missing or older than its
 * sources. A lock folder keeps parallel test files from building at the same time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The built `voxtrace` binary: `spawn(process.execPath, [CLI, 'dev'])`. */
export const CLI = path.join(repoRoot, 'packages/cli/dist/cli.js');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

function oldest(dir: string): number {
  let t = Infinity;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.min(t, statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

function stale(): boolean {
  const packages = path.join(repoRoot, 'packages');
  return readdirSync(packages).some((name) => {
    const dist = path.join(packages, name, 'dist');
    return !existsSync(dist) || oldest(dist) < newest(path.join(packages, name, 'src'));
  });
}

/** Builds every package unless each `dist/` is newer than its sources. Synchronous: call it in `beforeAll`. */
export function ensureBuilt(): void {
  const lock = path.join(repoRoot, 'node_modules', '.voxtrace-build-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building: wait for it, then look again (a lock left by a killed run expires).
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 300_000)
        rmSync(lock, { recursive: true });
      execFileSync(process.execPath, ['-e', 'setTimeout(() => {}, 500)']);
    }
  }
  try {
    if (stale()) execFileSync('npx', ['tsup'], { cwd: repoRoot, stdio: 'ignore' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

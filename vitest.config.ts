import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/**
 * Tests run from the packages' sources, so edit → `npx vitest run <file>` needs no build. The mapping is
 * tsconfig.json's `paths` (the one list; `tsc`, tsup's `.d.ts` step and tsx read it too, and
 * test/workspace.test.ts checks it against every package's entries). Tests that start the binary, the
 * examples or the demo in a child process use the built `dist/` (test/helpers/built.ts builds it when stale).
 */
const paths: Record<string, string[]> = JSON.parse(readFileSync('tsconfig.json', 'utf8')).compilerOptions
  .paths;
const alias = Object.entries(paths).map(([name, [target]]) => ({
  find: new RegExp(`^${name.replace(/[/.]/g, '\\$&')}$`),
  replacement: fileURLToPath(new URL(target!, import.meta.url)),
}));

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});

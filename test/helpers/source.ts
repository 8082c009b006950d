/**
 * Runs a script in a child Node process from the workspace sources: tsx compiles TypeScript on the fly and
 * maps `@voxtrace/*` to `packages/*\/src` through tsconfig.json's `paths`. Subprocess tests (the CLI, the
 * examples) therefore need no build and always run the code as edited. The built `dist/` is tested where
 * users meet it: test/packed.test.ts.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Node flags that load tsx; put them before the script. */
export const FROM_SOURCE: readonly string[] = [
  '--import',
  pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href,
];

// Children inherit it: tsx reads the repository's tsconfig.json whatever the child's cwd.
process.env.TSX_TSCONFIG_PATH ??= `${repoRoot}tsconfig.json`;

/** The `voxtrace` command from source: `[...CLI_ARGS, 'dev', '--port', '0']` after `process.execPath`. */
export const CLI_ARGS: readonly string[] = [...FROM_SOURCE, `${repoRoot}packages/cli/src/cli.ts`];

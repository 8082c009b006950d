/**
 * tsconfig.json's `paths` is the one list that maps each package entry to its source (tsc, vitest, tsup's
 * `.d.ts` step and tsx read it). It must name every public entry of every package and nothing else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from './helpers/built.js';

it('tsconfig paths map exactly the packages’ public entries to their sources', () => {
  const expected: Record<string, string[]> = {};
  for (const dir of readdirSync(path.join(repoRoot, 'packages'))) {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'packages', dir, 'package.json'), 'utf8'));
    const entries: Record<string, string> = pkg.voxtrace?.entry ?? { index: 'src/index.ts' };
    for (const [name, src] of Object.entries(entries)) {
      const specifier = name === 'index' ? pkg.name : `${pkg.name}/${name}`;
      // The CLI's binary is not an import specifier.
      if (pkg.exports[name === 'index' ? '.' : `./${name}`] === undefined) continue;
      expected[specifier] = [`./packages/${dir}/${src}`];
    }
  }
  const tsconfig = JSON.parse(readFileSync(path.join(repoRoot, 'tsconfig.json'), 'utf8'));
  expect(tsconfig.compilerOptions.paths).toEqual(expected);
});

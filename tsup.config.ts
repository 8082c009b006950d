import { readdirSync, readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

/**
 * One config builds every workspace package to ESM + CJS + .d.ts.
 * A package lists its entry points in `package.json` under `voxtrace.entry`
 * (default `src/index.ts`); each becomes `dist/<name>.{js,cjs,d.ts,d.cts}`.
 */
const packages = readdirSync('packages', { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => `packages/${d.name}`);

// Sibling packages' types come from their sources (tsconfig.json's `paths`, the one list of workspace entries):
// their dist/ is being rebuilt in parallel.
const siblingSources: Record<string, string[]> = JSON.parse(readFileSync('tsconfig.json', 'utf8'))
  .compilerOptions.paths;

export default defineConfig(
  packages.map((dir): Options => {
    const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
    const entries: Record<string, string> = pkg.voxtrace?.entry ?? { index: 'src/index.ts' };
    return {
      name: pkg.name,
      entry: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, `${dir}/${v}`])),
      outDir: `${dir}/dist`,
      format: ['esm', 'cjs'],
      dts: { compilerOptions: { paths: siblingSources } },
      target: 'node20',
      platform: 'node',
      sourcemap: true,
      clean: true,
      splitting: true,
      treeshake: true,
      // Dependencies and peers stay external; workspace siblings are dependencies too.
      external: [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})],
      silent: true,
    };
  }),
);

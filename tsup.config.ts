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

export default defineConfig(
  packages.map((dir): Options => {
    const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8'));
    const entries: Record<string, string> = pkg.voxtrace?.entry ?? { index: 'src/index.ts' };
    return {
      name: pkg.name,
      entry: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, `${dir}/${v}`])),
      outDir: `${dir}/dist`,
      format: ['esm', 'cjs'],
      // Workspace siblings' types come from their sources: all packages build in parallel, so a
      // sibling's dist/*.d.ts may not exist yet on a clean checkout.
      dts: { compilerOptions: { paths: { '@voxtrace/*': ['./packages/*/src/index.ts'] } } },
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

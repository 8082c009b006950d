/**
 * What users install: every package packed with `npm pack`, unpacked into a throwaway project, then
 * - the tarballs hold only what users need, and every module they import is a declared dependency;
 * - each public entry loads by `import` and by `require`, from the tarball (not from the workspace);
 * - a strict TypeScript consumer (`"strict": true, "skipLibCheck": false`) that imports every entry from ESM
 *   and from CommonJS compiles with 0 errors, so no third-party internals leak into the public types;
 * - the README's quickstart runs as pasted and its spans reach an OTLP receiver on 127.0.0.1;
 * - the `voxtrace` binary answers `--version`.
 * The project lives under `node_modules/` so that third-party dependencies resolve from the workspace's
 * install (no registry at test time); the `@voxtrace/*` packages resolve from the unpacked tarballs, which
 * sit closer.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from './helpers/otlp-receiver.js';
import { ensureBuilt, repoRoot } from './helpers/built.js';

const project = path.join(repoRoot, 'node_modules', '.voxtrace-packed');
const scope = path.join(project, 'node_modules', '@voxtrace');

interface Packed {
  name: string;
  dir: string;
  manifest: {
    name: string;
    version: string;
    exports: Record<string, unknown>;
    bin?: Record<string, string>;
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  files: string[];
}
const packed: Packed[] = [];

/** Public entries of a package as import specifiers (`@voxtrace/core`, `@voxtrace/core/thresholds`). */
const entries = (p: Packed) =>
  Object.keys(p.manifest.exports)
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? p.name : `${p.name}/${k.slice(2)}`));

const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  execFileSync(process.execPath, args, { cwd: project, encoding: 'utf8', env: { ...process.env, ...env } });

beforeAll(() => {
  ensureBuilt();
  rmSync(project, { recursive: true, force: true });
  mkdirSync(scope, { recursive: true });
  for (const dir of readdirSync(path.join(repoRoot, 'packages'))) {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', project], {
      cwd: path.join(repoRoot, 'packages', dir),
      encoding: 'utf8',
    });
    const [info] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    const target = path.join(scope, dir);
    mkdirSync(target);
    execFileSync('tar', ['-xzf', path.join(project, info!.filename), '-C', target, '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(path.join(target, 'package.json'), 'utf8'));
    packed.push({ name: manifest.name, dir: target, manifest, files: info!.files.map((f) => f.path) });
  }
  writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
}, 600_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('the packed packages', () => {
  it('hold dist, README and manifest only: no sources, tests or fixtures', () => {
    expect(packed.map((p) => p.name).sort()).toEqual([
      '@voxtrace/cli',
      '@voxtrace/core',
      '@voxtrace/livekit',
      '@voxtrace/pipecat-bridge',
      '@voxtrace/retell',
      '@voxtrace/vapi',
    ]);
    for (const p of packed) {
      const stray = p.files.filter(
        (f) => !/^(dist\/|README\.md$|package\.json$|LICENSE$|CHANGELOG\.md$)/.test(f),
      );
      expect(stray, p.name).toEqual([]);
    }
  });

  it('import only Node built-ins, their own files and declared dependencies', () => {
    const builtins = new Set(builtinModules);
    for (const p of packed) {
      const declared = new Set([
        ...Object.keys(p.manifest.dependencies ?? {}),
        ...Object.keys(p.manifest.peerDependencies ?? {}),
      ]);
      const undeclared = new Set<string>();
      for (const f of p.files.filter((f) => /\.(c?js|d\.c?ts)$/.test(f))) {
        const text = readFileSync(path.join(p.dir, f), 'utf8');
        for (const m of text.matchAll(
          /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)["']([\w@][\w@/.-]*)["']/g,
        )) {
          const spec = m[1]!;
          if (spec.startsWith('node:') || builtins.has(spec)) continue;
          const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!declared.has(pkg)) undeclared.add(`${f}: ${spec}`);
        }
      }
      expect([...undeclared], p.name).toEqual([]);
    }
  });

  it('load every entry by import and by require, from the tarball', () => {
    for (const p of packed) {
      for (const spec of entries(p)) {
        const esm = node([
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(spec)});
           console.log(JSON.stringify([Object.keys(m).length, import.meta.resolve(${JSON.stringify(spec)})]));`,
        ]);
        const cjs = node([
          '-e',
          `const m = require(${JSON.stringify(spec)});
           console.log(JSON.stringify([Object.keys(m).length, require.resolve(${JSON.stringify(spec)})]));`,
        ]);
        for (const [count, where] of [JSON.parse(esm), JSON.parse(cjs)] as [number, string][]) {
          expect(count, spec).toBeGreaterThan(0);
          expect(where.replace('file://', ''), spec).toContain(`${scope}/`);
        }
      }
    }
  }, 300_000);

  it('type-check in a strict consumer, from ESM and from CommonJS, with 0 errors', () => {
    const all = packed.flatMap(entries);
    const alias = (spec: string) => spec.replace(/^@voxtrace\//, '').replace(/[^a-z]/g, '_');
    const imports = all.map((s) => `import * as ${alias(s)} from '${s}';`).join('\n');
    const use = `export const entries = [${all.map(alias).join(', ')}];\n`;
    const typed = `import { createVoxtrace, type ConversationRecord } from '@voxtrace/core';
const vt = createVoxtrace({ serviceName: 'strict', otlp: false });
export const record: ConversationRecord = vt.startConversation({ id: 'c1', platform: 'custom' }).end();\n`;
    writeFileSync(path.join(project, 'esm.mts'), `${imports}\n${use}${typed}`);
    writeFileSync(path.join(project, 'cjs.cts'), `${imports}\n${use}${typed}`);
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
        },
        files: ['esm.mts', 'cjs.cts'],
      }),
    );
    const tsc = path.join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    let output = '';
    try {
      output = execFileSync(process.execPath, [tsc, '-p', project, '--pretty', 'false'], {
        cwd: project,
        encoding: 'utf8',
      });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    expect(output.split('\n').filter((l) => /error TS\d+/.test(l))).toEqual([]);
  }, 120_000);

  it('run the README quickstart as pasted; its spans reach the collector', async () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Quickstart'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    writeFileSync(path.join(project, 'quickstart.mjs'), code);
    const receiver = await startOtlpReceiver();
    try {
      const { execFile } = await import('node:child_process');
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['quickstart.mjs'],
          {
            cwd: project,
            env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, '') },
            timeout: 30_000,
          },
          (err, out) => (err ? reject(err) : resolve(out)),
        ),
      );
      expect(stdout.trim()).toBe('turn latency 800 ms, bottleneck llm');
      const names = receiver.spans.map((s) => s.name).sort();
      expect(names).toEqual(expect.arrayContaining(['conversation', 'turn', 'stt', 'llm']));
      expect(receiver.spans.find((s) => s.name === 'conversation')!.resource['service.name']).toBe(
        'support-agent',
      );
    } finally {
      await receiver.close();
    }
  }, 60_000);

  it('ship a voxtrace binary that prints its version', () => {
    const cli = packed.find((p) => p.name === '@voxtrace/cli')!;
    const bin = path.join(cli.dir, cli.manifest.bin!.voxtrace!);
    expect(node([bin, '--version']).trim()).toBe(cli.manifest.version);
  });
});

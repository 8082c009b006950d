// The public API, guarded. For every entry of every package, api-extractor reads the built `.d.ts` and compares
// it with the committed report `packages/<pkg>/api/<entry>.api.md`; the telemetry contract (span names, span
// attribute names, metric names) is compared with `docs/telemetry-contract.json`, generated from the code.
// A difference fails (`npm run lint`) until the reports are regenerated in the same commit:
//
//   npm run api -- --update
//
// Needs the built packages: it builds them first when a `dist/` is missing or older than its sources.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const update = process.argv.includes('--update');

function newest(dir, pick = Math.max, start = 0) {
  let t = start;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = pick(t, statSync(path.join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}
const packages = readdirSync(path.join(root, 'packages')).sort();
const stale = packages.some((p) => {
  const dist = path.join(root, 'packages', p, 'dist');
  return (
    !existsSync(dist) || newest(dist, Math.min, Infinity) < newest(path.join(root, 'packages', p, 'src'))
  );
});
if (stale) execFileSync('npx', ['tsup'], { cwd: root, stdio: 'inherit' });

let failed = 0;
for (const dir of packages) {
  const pkgDir = path.join(root, 'packages', dir);
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  const reportFolder = path.join(pkgDir, 'api');
  mkdirSync(reportFolder, { recursive: true });
  for (const key of Object.keys(pkg.exports).filter((k) => k !== './package.json')) {
    const entry = key === '.' ? 'index' : key.slice(2);
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: pkgDir,
        mainEntryPointFilePath: path.join(pkgDir, 'dist', `${entry}.d.ts`),
        compiler: {
          overrideTsconfig: {
            compilerOptions: {
              target: 'ES2022',
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              types: ['node'],
            },
          },
        },
        apiReport: {
          enabled: true,
          reportFileName: `${entry}.api.md`,
          reportFolder,
          reportTempFolder: path.join(root, 'node_modules', '.api-report', dir),
        },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          // The report is the contract; TSDoc style and forgotten-export notes are not failures here.
          extractorMessageReporting: { default: { logLevel: 'none' } },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
          compilerMessageReporting: { default: { logLevel: 'warning' } },
        },
      },
      configObjectFullPath: path.join(pkgDir, 'api-extractor.json'),
      packageJsonFullPath: path.join(pkgDir, 'package.json'),
    });
    const result = Extractor.invoke(config, {
      localBuild: update,
      messageCallback: (m) => (m.handled = true),
    });
    const name = key === '.' ? pkg.name : `${pkg.name}/${entry}`;
    if (result.apiReportChanged && !update) {
      failed++;
      console.error(
        `api: the public API of ${name} differs from packages/${dir}/api/${entry}.api.md (npm run api -- --update)`,
      );
    } else if (!result.succeeded) {
      failed++;
      console.error(`api: api-extractor failed on ${name}`);
    }
  }
}

// The telemetry contract: the names dashboards and alert rules depend on. Span names and attribute keys come
// from the constants modules and from every attribute-shaped string literal in each package's sources (some
// adapters write keys inline); metric names, types and label names from a real registry.
const ATTRIBUTE_LITERAL =
  /'((?:conversation|turn|component|voice|gen_ai|stt|llm|tool|tts|livekit|pipecat|vapi|retell|error)\.[a-z0-9_.]{1,80})'/g;
async function telemetryContract() {
  const core = await import(pathToFileURL(path.join(root, 'packages/core/src/index.ts')).href);
  const attributes = {};
  for (const dir of packages) {
    const keys = new Set();
    for (const e of readdirSync(path.join(root, 'packages', dir, 'src'), {
      withFileTypes: true,
      recursive: true,
    })) {
      if (!e.isFile() || !e.name.endsWith('.ts')) continue;
      const text = readFileSync(path.join(e.parentPath, e.name), 'utf8');
      for (const m of text.matchAll(ATTRIBUTE_LITERAL)) keys.add(m[1]);
    }
    if (dir === 'core') for (const v of Object.values(core.ATTR)) keys.add(v);
    if (keys.size) attributes[`@voxtrace/${dir}`] = [...keys].sort();
  }
  const vt = core.createVoxtrace({ serviceName: 'contract', otlp: false });
  const metrics = vt.registry
    .getMetricsAsArray()
    .map((m) => ({ name: m.name, type: m.type, labels: [...(m.labelNames ?? [])].sort() }))
    .sort((x, y) => x.name.localeCompare(y.name));
  await vt.shutdown();
  return { spans: Object.values(core.SPAN).sort(), attributes, metrics };
}
const contractFile = path.join(root, 'docs', 'telemetry-contract.json');
const contract = `${JSON.stringify(await telemetryContract(), null, 2)}\n`;
if (update) writeFileSync(contractFile, contract);
else if (!existsSync(contractFile) || readFileSync(contractFile, 'utf8') !== contract) {
  failed++;
  console.error(
    'api: span, attribute or metric names differ from docs/telemetry-contract.json (npm run api -- --update)',
  );
}
rmSync(path.join(root, 'node_modules', '.api-report'), { recursive: true, force: true });

if (failed) process.exit(1);
console.log(
  update ? 'api: reports updated' : 'api: public API and telemetry contract match the committed reports',
);

// Compares voxtrace's built-in redactor with npm redaction libraries on the PII corpus of test/pii.test.ts
// (recall: items of which nothing leaks, by the same check) and on hostile input (worst time of one call at
// 4 KB, the size voxtrace caps a field to, and at 64 KB, to see how time grows). The libraries are not
// dependencies: install them beside the repository's own, in a folder of your choice, then run
//
//   mkdir -p tmp-redaction-eval && cd tmp-redaction-eval && npm init -y && npm i redact-pii \
//     @redactpii/node @openredaction/core @cdssnc/sanitize-pii @coffeeandfun/remove-pii @arcjet/redact pii-filter
//   cd .. && npm run build && node scripts/compare-redactors.mjs tmp-redaction-eval [library…]
//
// Each library runs in its own child process; a call that takes longer than 10 s is killed and reported
// as such. The figures go to docs/content-policy.md by hand.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIMEOUT_MS = 10_000;

/** The URL of an installed package's ESM entry (some export no `require` condition for `createRequire`). */
function entry(req, name) {
  const dir = path.dirname(req.resolve(`${name}/package.json`));
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const dot = typeof pkg.exports === 'string' ? pkg.exports : pkg.exports?.['.'];
  const file =
    typeof dot === 'string'
      ? dot
      : (dot?.import?.default ?? dot?.import ?? dot?.default ?? pkg.module ?? pkg.main);
  return pathToFileURL(path.join(dir, file)).href;
}

/** Each library as a text → text function, from the folder it was installed in. */
const LIBRARIES = {
  'voxtrace (built-in)': async () => (await import('@voxtrace/core')).redact,
  'redact-pii': async (req) => {
    const r = new (req('redact-pii').SyncRedactor)();
    return (t) => r.redact(t);
  },
  '@redactpii/node': async (req) => {
    const { Redactor } = await import(pathToFileURL(req.resolve('@redactpii/node')).href);
    const r = new Redactor();
    return (t) => r.redact(t);
  },
  '@openredaction/core': async (req) => {
    const { OpenRedaction } = await import(pathToFileURL(req.resolve('@openredaction/core')).href);
    const r = new OpenRedaction();
    return async (t) => (await r.detect(t)).redacted;
  },
  '@cdssnc/sanitize-pii': async (req) =>
    (await import(pathToFileURL(req.resolve('@cdssnc/sanitize-pii')).href)).sanitizePii,
  '@coffeeandfun/remove-pii': async (req) =>
    (await import(pathToFileURL(req.resolve('@coffeeandfun/remove-pii')).href)).removePII,
  '@arcjet/redact': async (req) => {
    const { redact } = await import(entry(req, '@arcjet/redact'));
    const entities = ['email', 'phone-number', 'credit-card-number', 'ip-address'];
    return async (t) => (await redact(t, { entities }))[0];
  },
  'pii-filter (Dutch only)': async (req) => {
    const pf = req('pii-filter');
    const c = pf.make_pii_classifier(pf.languages.nl.make_lm());
    return (t) => c.sanitize_str(t, true);
  },
};

/** Hostile pieces (as in the property test and the benchmark), each repeated to the size measured. */
const HOSTILE = [
  'x@a.',
  'x@aa.',
  'a@',
  '1',
  '1 ',
  '1-',
  '12 ',
  '1.',
  '(1)',
  '+1 ',
  'a dot ',
  'a at ',
  '(at)',
  'one ',
  'oh 1',
  'de89 ',
  'DE89 3704 ',
  'qq 12 ',
  'passport a1 ',
  'expires 12 ',
  'a1',
  'j ',
  'a at 12 ',
  '1\u00a0',
  '٤',
  'a.',
  'aaaa ',
  'A'.repeat(30) + ' ',
  '1'.repeat(30) + ' ',
  'john.doe@',
  'a-',
  'a_',
  'Mr. ',
  'Dear ',
  '123 Main ',
];

/** Ordinary sentences that should come back unchanged. */
const ORDINARY = [
  'I need 2 tickets',
  'at 5 pm',
  'meet at 10:30 on 2026-11-21',
  'the total is $1,500 for 2 people',
  'order 12345',
  'room 404, floor 3',
  'see you at home, back in the dot com era',
  'I need one ticket for two adults',
  'Can I book a table for four at seven thirty?',
  'It costs 1,250,000 dollars',
  'That is 45% off',
  'between 2020 and 2026',
  'I was born in nineteen eighty five',
  'connect ECONNREFUSED 127.0.0.1:4318',
  'timeout after 30000 ms',
  '{"day":"friday","time":"10:00","party":4}',
  'Your appointment is at 3 pm',
  'Look at example.com for details',
  'gpt-4o-2024-08-06',
  'pi is 3.14159',
  'my zip is 94103',
  'What time does the store open tomorrow?',
  'Please transfer me to billing',
  'Thanks, that is all for today',
];

const fill = (unit, n) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n);

async function child(name, dir, skip) {
  const req = createRequire(path.join(path.resolve(dir), 'package.json'));
  const fn = await LIBRARIES[name](req);
  const send = (m) => new Promise((resolve) => process.send(m, resolve));
  // A library that throws on a text leaves it as it was (and the throw is counted).
  let crashes = 0;
  const red = async (t) => {
    try {
      return String(await fn(t));
    } catch {
      crashes++;
      return t;
    }
  };
  if (skip === 0) {
    const { PII_CORPUS, SAY, leaksOf } = await import(process.env.CORPUS_URL);
    const byKind = {};
    for (const item of PII_CORPUS) {
      const texts = [
        SAY.caller(item.value),
        SAY.llm(item.value),
        JSON.stringify(SAY.arguments(item.value)),
        JSON.stringify(SAY.result(item.value)),
        SAY.error(item.value),
      ];
      const out = [];
      for (const t of texts) out.push(await red(t));
      const all = out.join('\n');
      const k = (byKind[item.kind] ??= { caught: 0, total: 0 });
      k.total++;
      if (leaksOf(item, all, all).length === 0) k.caught++;
    }
    let changed = 0;
    for (const t of ORDINARY) if ((await red(t)) !== t) changed++;
    await send({ type: 'recall', byKind, changed, ordinary: ORDINARY.length, crashes });
  }
  const inputs = HOSTILE.flatMap((u) => [4096, 65_536].map((n) => ({ unit: u, n })));
  for (let i = skip; i < inputs.length; i++) {
    const { unit, n } = inputs[i];
    const text = fill(unit, n);
    await send({ type: 'start', i });
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 2; k++) {
      const t = performance.now();
      await red(text);
      best = Math.min(best, performance.now() - t);
    }
    await send({ type: 'time', i, unit, n, ms: best });
  }
  process.exit(0);
}

/** Runs one library's child, restarting past an input that hangs. */
function run(name, dir, corpusUrl) {
  return new Promise((resolve) => {
    const result = { name, times: [], recall: null };
    const start = (skip) => {
      const c = fork(fileURLToPath(import.meta.url), ['--child', name, dir, String(skip)], {
        env: { ...process.env, CORPUS_URL: corpusUrl },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let current = skip;
      let recalling = skip === 0;
      let timer = null;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => {
            const unit = HOSTILE[Math.floor(current / 2)];
            result.times.push({
              i: current,
              unit,
              n: current % 2 ? 65_536 : 4096,
              ms: Number.POSITIVE_INFINITY,
            });
            c.kill('SIGKILL');
          },
          recalling ? 600_000 : TIMEOUT_MS,
        );
      };
      c.on('message', (m) => {
        if (m.type === 'recall') {
          result.recall = m;
          recalling = false;
        }
        if (m.type === 'start') current = m.i;
        if (m.type === 'time') result.times.push(m);
        arm();
      });
      c.stderr.on('data', () => {});
      c.on('exit', (code) => {
        clearTimeout(timer);
        const total = HOSTILE.length * 2;
        if (code !== 0 && current + 1 < total && result.times.some((t) => t.i === current))
          start(current + 1);
        else resolve(result);
      });
      arm();
    };
    start(0);
  });
}

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]));
} else {
  const dir = process.argv[2] ?? 'tmp-redaction-eval';
  const chosen = process.argv.slice(3);
  // The corpus is TypeScript: bundle it once for the children.
  const out = mkdtempSync(path.join(tmpdir(), 'corpus-'));
  const { buildSync } = createRequire(import.meta.url)('esbuild');
  buildSync({
    entryPoints: [path.join(root, 'test/helpers/pii-corpus.ts')],
    outfile: path.join(out, 'corpus.mjs'),
    format: 'esm',
    bundle: true,
  });
  const corpusUrl = pathToFileURL(path.join(out, 'corpus.mjs')).href;
  console.log(
    [
      '| Library | Corpus items with no leak | By class | Ordinary sentences changed | Worst call, 4 KB hostile | Worst call, 64 KB hostile |',
      '|---|---:|---|---:|---:|---:|',
    ].join('\n'),
  );
  for (const name of Object.keys(LIBRARIES).filter((n) => chosen.length === 0 || chosen.includes(n))) {
    const r = await run(name, dir, corpusUrl);
    const kinds = r.recall ? Object.entries(r.recall.byKind) : [];
    const caught = kinds.reduce((s, [, k]) => s + k.caught, 0);
    const total = kinds.reduce((s, [, k]) => s + k.total, 0);
    const at = (n) => r.times.filter((t) => t.n === n);
    const worst = (n) => at(n).reduce((w, t) => (t.ms > w.ms ? t : w), { ms: 0, unit: '' });
    const w4 = worst(4096);
    const w64 = worst(65_536);
    const ms = (t) => (Number.isFinite(t.ms) ? `${t.ms.toFixed(1)} ms` : `> ${TIMEOUT_MS / 1000} s (killed)`);
    const unit = (t) =>
      t.unit ? ` (${JSON.stringify(t.unit.length > 12 ? `${t.unit.slice(0, 10)}…` : t.unit)})` : '';
    console.log(
      `| ${name} | ${total ? `${caught}/${total} (${((100 * caught) / total).toFixed(0)} %)` : 'n/a'}${r.recall?.crashes ? ` (threw on ${r.recall.crashes} texts)` : ''} | ${kinds
        .map(([k, v]) => `${k} ${v.caught}/${v.total}`)
        .join(
          ', ',
        )} | ${r.recall ? `${r.recall.changed}/${r.recall.ordinary}` : 'n/a'} | ${ms(w4)}${unit(w4)} | ${ms(w64)}${unit(w64)} |`,
    );
  }
  rmSync(out, { recursive: true, force: true });
}

// Fails when a tracked file refers to a path outside the repository, so that a clone with nothing beside it
// works as it does here. It resolves every relative path literal (`../x`, `./x`, `new URL('../x', …)`, markdown
// links) from the file that holds it and checks it stays under the root; it also rejects the one outside
// folder the project grew up beside (`shared/`) however it is spelled.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
  cwd: root,
  encoding: 'utf8',
})
  .split('\0')
  .filter((f) => /\.(m?[jt]s|cjs|cts|mts|json|md|sh|ya?ml)$|^\.ci\/run$/.test(f))
  .filter(
    (f) => !f.startsWith('node_modules/') && !f.includes('/node_modules/') && f !== 'package-lock.json',
  );

// Relative paths of one or more `../` segments, in any quoting. Bounded repetition keeps it linear.
const RELATIVE = /(?:^|[\s'"`(=:@])((?:\.\.\/){1,12}[\w.@-][\w./@-]{0,200})/g;
const OUTSIDE_NAMES = /(?:^|[^\w/.-])(?:\.\.\/)+shared\b|['"`]shared['"`]\s*,|\/work\/shared\b/;

const problems = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(path.join(root, file), 'utf8');
  } catch {
    continue; // deleted in the work tree
  }
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const at = `${file}:${i + 1}`;
    if (OUTSIDE_NAMES.test(line))
      problems.push(`${at}: names a folder outside the repository: ${line.trim()}`);
    for (const m of line.matchAll(RELATIVE)) {
      // `new URL('../x', import.meta.url)` and plain relative paths both resolve from the file's folder;
      // a path in a doc or a comment is read the same way.
      const target = path.resolve(root, path.dirname(file), m[1]);
      if (target !== root && !target.startsWith(root + path.sep)) {
        problems.push(`${at}: ${m[1]} resolves outside the repository`);
      }
    }
  });
}

if (problems.length) {
  console.error(
    `check-paths: ${problems.length} reference(s) outside the repository:\n${problems.join('\n')}`,
  );
  process.exit(1);
}
console.log(`check-paths: ${files.length} files, no path outside the repository`);

// Runs publint and @arethetypeswrong/cli on every built workspace package (after `npm run build`).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let failed = 0;
for (const dir of readdirSync('packages')) {
  const path = `packages/${dir}`;
  const pkg = JSON.parse(readFileSync(`${path}/package.json`, 'utf8'));
  if (pkg.private) continue;
  for (const [cmd, args] of [
    ['publint', ['--strict', path]],
    ['attw', ['--pack', path, '--profile', 'node16', '--format', 'ascii']],
  ]) {
    try {
      const out = execFileSync('npx', ['--no-install', cmd, ...args], { encoding: 'utf8', stdio: 'pipe' });
      console.log(`ok   ${cmd} ${pkg.name}`);
      if (process.env.VERBOSE) console.log(out);
    } catch (err) {
      failed++;
      console.log(`FAIL ${cmd} ${pkg.name}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
  }
}
process.exit(failed ? 1 : 0);

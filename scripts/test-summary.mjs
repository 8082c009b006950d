// Reads vitest JSON reports and prints the closing line CI reads: `N passed, N failed`. A CI step that failed
// outside the tests (install, build, lint, package checks) counts as one failure: `--failed-steps N`.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
let skipped = 0;
const args = process.argv.slice(2);
const at = args.indexOf('--failed-steps');
if (at >= 0) failed += Number(args.splice(at, 2)[1]) || 0;
for (const file of args) {
  if (!existsSync(file)) {
    failed++; // A run that wrote no report failed before it could count.
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

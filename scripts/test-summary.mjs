// Prints the closing line CI reads, `tests: N passed, N failed`, from vitest's JSON report.
// Exits non-zero when any test failed, when a test file failed to load, or when no test ran.
import { readFileSync, existsSync } from 'node:fs';

const file = process.argv[2] ?? '.cache/vitest-results.json';
const vitestExit = Number(process.argv[3] ?? '0');
if (!existsSync(file)) {
  console.log('no vitest report found at ' + file);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const passed = r.numPassedTests ?? 0;
let failed = r.numFailedTests ?? 0;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
// A test file that fails to import has no tests but is a failure.
const brokenFiles = (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0);
for (const t of brokenFiles) console.log(`test file failed to run: ${t.name}: ${(t.message ?? '').split('\n')[0]}`);
failed += brokenFiles.length;
if (vitestExit !== 0 && failed === 0) failed = 1;
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

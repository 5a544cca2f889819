// Sums every package's vitest JSON report into the one line CI prints:
//   tests: N passed, M failed
// A package whose test task ran but left no report (it crashed before vitest could write
// one) counts as one failure, and so does every test of a file that failed without running
// them (a beforeAll that threw marks them skipped): a broken file can never read as green.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/services.ts';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: {
    name: string;
    status: string;
    assertionResults?: { status: string }[];
  }[];
}

/**
 * Files that failed around their tests (setup, import, hooks) with none of their own tests
 * failing: the tests they never ran (reported as skipped), and how many failures that makes
 * (each such test, and at least one per file).
 */
function stranded(r: VitestReport): { unrun: number; failures: number } {
  let unrun = 0;
  let failures = 0;
  for (const file of r.testResults ?? []) {
    const results = file.assertionResults ?? [];
    if (file.status !== 'failed' || results.some((a) => a.status === 'failed')) continue;
    const notRun = results.filter((a) => a.status !== 'passed').length;
    unrun += notRun;
    failures += Math.max(1, notRun);
  }
  return { unrun, failures };
}

let passed = 0;
let failed = 0;
let skipped = 0;
const missing: string[] = [];

for (const group of ['apps', 'packages', 'test', '.']) {
  const dirs =
    group === '.' ? ['bench'] : readdirSync(join(ROOT, group)).map((d) => join(group, d));
  for (const dir of dirs) {
    const pkg = join(ROOT, dir, 'package.json');
    if (!existsSync(pkg) || !JSON.parse(readFileSync(pkg, 'utf8')).scripts?.test) continue;
    const report = join(ROOT, dir, 'reports', 'vitest.json');
    if (!existsSync(report)) {
      missing.push(dir);
      failed += 1;
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
    const lost = stranded(r);
    passed += r.numPassedTests;
    failed += r.numFailedTests + lost.failures;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) - lost.unrun;
  }
}

if (missing.length > 0)
  console.log(`no test report from: ${missing.join(', ')} (counted as failed)`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

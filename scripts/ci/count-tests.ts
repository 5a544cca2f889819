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

/** Tests that did not run because their file failed around them (setup, import, hooks). */
function strandedByFailedFiles(r: VitestReport): number {
  let n = 0;
  for (const file of r.testResults ?? []) {
    if (file.status !== 'failed') continue;
    const results = file.assertionResults ?? [];
    // Its own failing tests are counted already; a file that failed with none (its setup
    // threw) counts each test it never ran, and at least once.
    if (results.some((a) => a.status === 'failed')) continue;
    n += Math.max(1, results.filter((a) => a.status !== 'passed').length);
  }
  return n;
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
    const stranded = strandedByFailedFiles(r);
    passed += r.numPassedTests;
    failed += r.numFailedTests + stranded;
    skipped += Math.max(0, (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0) - stranded);
  }
}

if (missing.length > 0)
  console.log(`no test report from: ${missing.join(', ')} (counted as failed)`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

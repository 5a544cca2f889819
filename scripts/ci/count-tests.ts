// Sums every package's vitest JSON report into the one line CI prints:
//   tests: N passed, M failed
// A package whose test task ran but left no report (it crashed before vitest could write
// one) counts as one failure, so a broken package can never read as green.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/services.ts';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests?: number;
  numTodoTests?: number;
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
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  }
}

if (missing.length > 0)
  console.log(`no test report from: ${missing.join(', ')} (counted as failed)`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);

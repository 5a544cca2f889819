// Settings every package's vitest.config.ts starts from. The JSON report is what .ci/run
// counts to print "tests: N passed, M failed".
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
    // Files run in parallel workers; each clones its own database and Redis prefix.
    pool: 'forks',
  },
});

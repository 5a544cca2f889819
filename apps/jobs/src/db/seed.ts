// `pnpm db:seed`: the jobs service has no reference data; job runs come from real jobs.
console.error('jobs: nothing to seed');

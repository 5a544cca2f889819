// The jobs schema's tables, for drizzle-kit and the typed client.
export { type JobRunRow, jobRuns, type NewJobRunRow } from './job-runs.ts';
export { jobsSchema } from './schema.ts';

// The jobs schema's tables, for drizzle-kit and the typed client.
export { type JobRunRow, jobRuns, type NewJobRunRow } from './job-runs.ts';
export {
  type LowStockAlertRow,
  lowStockAlerts,
  type NewLowStockAlertRow,
} from './low-stock-alerts.ts';
export {
  type NewOrderTimelineRow,
  type OrderTimelineRow,
  orderTimeline,
} from './order-timeline.ts';
export { type ProcessedEventRow, processedEvents } from './processed-events.ts';
export { jobsSchema } from './schema.ts';

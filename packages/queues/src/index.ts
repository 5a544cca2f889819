// Typed queue contracts: what each queue carries, checked at both ends. See README.md.
export {
  catalogEvents,
  LOW_STOCK,
  type LowStockPayload,
  LowStockPayloadSchema,
} from './catalog-events.ts';
export {
  checkPayload,
  defineQueue,
  enqueue,
  InvalidJobPayloadError,
  type JobName,
  type JobPayload,
  openQueue,
  type ParsedJob,
  type PayloadIssue,
  parseJob,
  type QueueContract,
  queuePrefix,
} from './contract.ts';
export {
  ORDER_CREATED,
  ORDER_STATUS_CHANGED,
  ORDER_STATUSES,
  type OrderCreatedPayload,
  OrderCreatedPayloadSchema,
  type OrderEventStatus,
  type OrderStatusChangedPayload,
  OrderStatusChangedPayloadSchema,
  orderEvents,
} from './order-events.ts';

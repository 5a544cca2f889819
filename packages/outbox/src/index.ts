// Transactional outbox: the table, the write inside a business transaction, and the relay
// that publishes to BullMQ at least once. See README.md and docs/outbox.md.
export {
  type BatchResult,
  createOutboxRelay,
  type OutboxRelay,
  type OutboxRelayOptions,
  type RelayLogger,
} from './relay.ts';
export { type OutboxRow, type OutboxTable, outboxTable } from './table.ts';
export { type OutboxDb, type OutboxEvent, writeOutbox } from './write.ts';

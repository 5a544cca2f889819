// Wire shapes for the dead-letter admin API.
import { type Static, Type } from 'typebox';

const Kind = Type.Union([
  Type.Literal('invalid-payload'),
  Type.Literal('attempts-exhausted'),
  Type.Literal('unrecoverable'),
  Type.Literal('stalled'),
]);
const Timestamp = Type.String({ format: 'date-time' });

export const DeadLetterSummarySchema = Type.Object(
  {
    id: Type.String({ examples: ['order-events.0b9c7e0e-5d3f-4c56-9f3a-3f1d2b8e9a10'] }),
    queue: Type.String(),
    name: Type.String(),
    originalJobId: Type.String(),
    kind: Kind,
    failedReason: Type.String(),
    attemptsMade: Type.Integer({ minimum: 0 }),
    requestId: Type.Union([Type.String(), Type.Null()]),
    deadLetteredAt: Timestamp,
    retriedAt: Type.Union([Timestamp, Type.Null()]),
    retryJobId: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);
export type DeadLetterSummary = Static<typeof DeadLetterSummarySchema>;

export const DeadLetterSchema = Type.Object(
  {
    ...DeadLetterSummarySchema.properties,
    data: Type.Unknown({ description: 'The payload exactly as the job carried it' }),
    stacktrace: Type.Array(Type.String()),
    options: Type.Object(
      {
        attempts: Type.Optional(Type.Integer()),
        priority: Type.Optional(Type.Integer()),
        backoff: Type.Optional(Type.Unknown()),
      },
      { additionalProperties: false },
    ),
    createdAt: Timestamp,
    processedAt: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);
export type DeadLetterView = Static<typeof DeadLetterSchema>;

export const DeadLetterListSchema = Type.Object(
  {
    items: Type.Array(DeadLetterSummarySchema),
    /** Pass as `offset` for the next page; null on the last page. */
    nextOffset: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  },
  { additionalProperties: false },
);
export type DeadLetterList = Static<typeof DeadLetterListSchema>;

export const DeadLetterQuerySchema = Type.Object(
  {
    queue: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: Type.Integer({ minimum: 0, maximum: 100_000, default: 0 }),
  },
  { additionalProperties: false },
);

export const DeadLetterParamsSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 300 }) },
  { additionalProperties: false },
);

export const RetryResponseSchema = Type.Object(
  {
    id: Type.String(),
    queue: Type.String(),
    retryJobId: Type.String(),
    retriedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type RetryResponse = Static<typeof RetryResponseSchema>;

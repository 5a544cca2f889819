// Wire shapes for the demo jobs API.
import { type Static, Type } from 'typebox';

export const EnqueueResponseSchema = Type.Object({
  jobId: Type.String(),
  statusUrl: Type.String(),
});

export const DemoJobStatusSchema = Type.Object({
  id: Type.String(),
  state: Type.String({ examples: ['waiting', 'active', 'completed', 'failed', 'delayed'] }),
  attemptsMade: Type.Integer(),
  result: Type.Union([Type.Object({ echoed: Type.String(), length: Type.Integer() }), Type.Null()]),
  failedReason: Type.Union([Type.String(), Type.Null()]),
});
export type DemoJobStatus = Static<typeof DemoJobStatusSchema>;

export const JobParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

export const JobRunSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  queue: Type.String(),
  jobId: Type.String(),
  name: Type.String(),
  payload: Type.Record(Type.String(), Type.Unknown()),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  attempts: Type.Integer(),
  finishedAt: Type.String({ format: 'date-time' }),
});
export type JobRun = Static<typeof JobRunSchema>;

export const JobRunQuerySchema = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);

export const QueueCountsSchema = Type.Object({
  items: Type.Array(
    Type.Object({
      name: Type.String(),
      counts: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
    }),
  ),
});

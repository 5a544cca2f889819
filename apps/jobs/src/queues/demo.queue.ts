// The demo queue's contract: its name, job name and payload schema. Producers and the
// worker both validate against it, so a malformed job is refused at both ends. It is the
// jobs service's own queue, so its contract lives here rather than in @meridian/queues.

import { defineQueue } from '@meridian/queues';
import { UnrecoverableError } from 'bullmq';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

export const DEMO_QUEUE = 'demo';
export const DEMO_JOB = 'echo';

/** What a client sends to POST /v1/demo-jobs. */
export const DemoPayloadSchema = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: 500 }),
    workMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 10_000,
        description: 'Simulated work before the echo, to watch a job while it is active',
      }),
    ),
  },
  { additionalProperties: false },
);
export type DemoPayload = Static<typeof DemoPayloadSchema>;

/** What the job carries: the request plus the id of the HTTP request that enqueued it. */
export const DemoJobSchema = Type.Object(
  { ...DemoPayloadSchema.properties, requestId: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
export type DemoJob = Static<typeof DemoJobSchema>;

export const demoQueue = defineQueue(
  DEMO_QUEUE,
  { [DEMO_JOB]: DemoJobSchema },
  {
    attempts: 3,
    backoff: { type: 'exponential', delay: 500 },
    removeOnComplete: { age: 3_600, count: 1_000 },
    removeOnFail: { age: 24 * 3_600 },
  },
);

export interface DemoResult {
  echoed: string;
  length: number;
}

/** A standalone check of a demo payload (the runtime uses parseJob with the contract). */
export function assertDemoPayload(data: unknown): DemoJob {
  if (!Value.Check(DemoJobSchema, data)) {
    // Retrying cannot fix a malformed payload: fail the job at once, no further attempts.
    throw new UnrecoverableError('demo job payload does not match its schema');
  }
  return data;
}

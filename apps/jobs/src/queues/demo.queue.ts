// The demo queue's contract: its name, job name and payload schema. Producers and the
// worker both validate against it, so a malformed job is refused at both ends. Shared
// queue contracts move to a package when a second service produces jobs (#5, #6).

import { UnrecoverableError } from 'bullmq';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

export const DEMO_QUEUE = 'demo';
export const DEMO_JOB = 'echo';

export const DemoPayloadSchema = Type.Object(
  { message: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false },
);
export type DemoPayload = Static<typeof DemoPayloadSchema>;

export interface DemoResult {
  echoed: string;
  length: number;
}

export function assertDemoPayload(data: unknown): DemoPayload {
  if (!Value.Check(DemoPayloadSchema, data)) {
    // Retrying cannot fix a malformed payload: fail the job at once, no further attempts.
    throw new UnrecoverableError('demo job payload does not match its schema');
  }
  return data;
}

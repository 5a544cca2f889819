// The catalog service's environment: the kit's shared variables, its port, and how often it
// sweeps expired stock reservations.
import { BaseConfigSchema, portSchema } from '@meridian/config';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  PORT: portSchema(3002),
  // In-process until the jobs service runs the sweep as a repeatable job; 0 turns it off.
  RESERVATION_EXPIRY_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000 }),
});

export type Config = Static<typeof ConfigSchema>;

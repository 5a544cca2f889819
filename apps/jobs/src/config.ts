// The jobs service's environment: the kit's shared variables, its port, worker concurrency.
import { BaseConfigSchema, portSchema } from '@meridian/config';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  PORT: portSchema(3004),
  JOBS_CONCURRENCY: Type.Integer({ minimum: 1, maximum: 100, default: 5 }),
});

export type Config = Static<typeof ConfigSchema>;

// The orders service's environment: the kit's shared variables plus its own port.
import { BaseConfigSchema, portSchema } from '@meridian/config';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  PORT: portSchema(3003),
});

export type Config = Static<typeof ConfigSchema>;

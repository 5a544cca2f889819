// Field schemas catalog's modules share, each shaped by what Postgres accepts: a value that
// passes the schema but not Postgres would surface as a 500 instead of a 400 naming the field.
import { type TString, Type } from 'typebox';

type StringOptions = Parameters<typeof Type.String>[0];

/**
 * A UUID in the plain 8-4-4-4-12 form. The kit's validator already refuses `urn:uuid:`
 * (packages/service-kit/src/validation.ts); the pattern keeps this schema strict on its own,
 * e.g. for OpenAPI readers and clients that validate locally.
 */
export const uuidSchema = (opts: StringOptions = {}): TString =>
  Type.String({
    format: 'uuid',
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    ...opts,
  });

/** Free text. JSON may carry U+0000, but Postgres text and jsonb cannot store it. */
export const textSchema = (opts: StringOptions = {}): TString =>
  Type.String({ pattern: '^[^\\u0000]*$', ...opts });

// Request validation with ajv, in two modes. Query strings, params and headers arrive as
// text, so they are coerced ("?limit=5" → 5). A JSON body already has types, so it is NOT
// coerced: {"name": 5} for a string field is a client bug to report, not to paper over.
// Unknown fields are rejected (removeAdditional: false), never silently stripped.
import { Ajv, type Options } from 'ajv';
import addFormatsImport from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

function makeAjv(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    removeAdditional: false,
    useDefaults: true,
    allErrors: true,
    strict: false,
  });
  addFormats(ajv);
  // ajv-formats' uuid also takes the `urn:uuid:` form, which Postgres's uuid type refuses:
  // a value the schema passed would come back from the database as a 500.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  return ajv;
}

/**
 * Values JSON can carry but Postgres cannot store, whatever the route's schema says: U+0000
 * in a string (text and jsonb refuse it) and numbers JSON.parse turned into ±Infinity
 * (`1e400`). Found once here, they are a 400 naming the field, never a 500 from the driver.
 * Returns an ajv-shaped error, or null.
 */
function unstorable(value: unknown, path = ''): { instancePath: string; message: string } | null {
  if (typeof value === 'string') {
    return value.includes('\u0000')
      ? { instancePath: path, message: 'must not contain U+0000' }
      : null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value)
      ? null
      : { instancePath: path, message: 'must be a finite number' };
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = unstorable(item, `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
      if (found) return found;
    }
  }
  return null;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const forBody = makeAjv(false);
  const forText = makeAjv('array');
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? forBody : forText).compile(schema as object);
    return (data: unknown) => {
      if (!validate(data)) return { error: validationError(validate.errors) };
      const bad = unstorable(data);
      return bad
        ? { error: validationError([{ ...bad, keyword: 'storable', params: {} }]) }
        : { value: data };
    };
  };
}

function validationError(errors: unknown): Error {
  // Fastify turns an error with `validation` into a 400 with validationContext set.
  return Object.assign(new Error('validation failed'), { validation: errors });
}

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
  return ajv;
}

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const forBody = makeAjv(false);
  const forText = makeAjv('array');
  return ({ schema, httpPart }) => {
    const validate = (httpPart === 'body' ? forBody : forText).compile(schema as object);
    return (data: unknown) =>
      validate(data) ? { value: data } : { error: validationError(validate.errors) };
  };
}

function validationError(errors: unknown): Error {
  // Fastify turns an error with `validation` into a 400 with validationContext set.
  return Object.assign(new Error('validation failed'), { validation: errors });
}

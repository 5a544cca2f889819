// The problem+json document as a TypeBox schema, for the error responses in OpenAPI.
import { Type } from 'typebox';

export const FieldErrorSchema = Type.Object({
  in: Type.String({ examples: ['body'] }),
  pointer: Type.String({ examples: ['/name'] }),
  detail: Type.String(),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ examples: ['urn:meridian:problem:validation-failed'] }),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    detail: Type.String(),
    instance: Type.String(),
    code: Type.String(),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(FieldErrorSchema)),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details', additionalProperties: true },
);

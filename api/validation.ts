// Request validation by the routes' TypeBox schemas (the same TypeCompiler the actors check their
// messages with), so one schema gives the route its types, its validation and its OpenAPI entry.
// Path and query values arrive as strings and are converted to the schema's types first; bodies
// are checked as sent (no coercion, no dropped properties): a wrong body is a 400, never a guess.
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import type { FastifySchemaCompiler } from 'fastify';

/** Thrown back to Fastify as the validation error; its message names the field as Nova does. */
class ValidationFailure extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
  constructor(
    message: string,
    readonly validationContext: string,
  ) {
    super(message);
  }
}

function describePath(part: string, path: string): string {
  const field = path.replace(/^\//, '').replace(/\//g, '.');
  return field === '' ? part : field;
}

/**
 * Compiled checks by schema object: route schemas are module constants, so every API built in
 * this process after the first (each Cloud.start, each test's fabric) reuses the generated code.
 */
const compiled = new WeakMap<TSchema, ReturnType<typeof TypeCompiler.Compile>>();

function compile(schema: TSchema): ReturnType<typeof TypeCompiler.Compile> {
  let check = compiled.get(schema);
  if (check === undefined) {
    check = TypeCompiler.Compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = compile(schema);
  const part = httpPart ?? 'body';
  const convert = part !== 'body';
  return (data: unknown) => {
    const value = convert ? Value.Convert(schema, data) : data;
    if (check.Check(value)) return { value };
    const first = check.Errors(value).First();
    const where = describePath(part, first?.path ?? '');
    const why = first?.message ?? 'malformed';
    return { error: new ValidationFailure(`Invalid input for field/attribute ${where}. ${why}`, part) };
  };
};

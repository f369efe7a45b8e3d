// Message validation shared by every actor kind: a body is checked against its TypeBox schema and
// a failure is a BAD_REQUEST naming the first bad field (details.field, a JSON pointer), so a
// client learns what to fix. The message names the path only, never the value: bodies carry secrets.
import type { TObject, TSchema, TUnion } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { BadRequest, type ErrorValue } from '../transports/errors.js';

/** Answers BAD_REQUEST for a message that fails its schema, undefined for a valid one. */
export type MessageCheck = (msg: { readonly type: string }) => ErrorValue | undefined;

function firstError(check: TypeCheck<TSchema>, type: string, unchecked: unknown): ErrorValue {
  const first = check.Errors(unchecked).First();
  const where = first === undefined ? 'malformed' : `${first.path || '/'} ${first.message}`;
  return BadRequest(`invalid ${type} message: ${where}`, { field: first?.path ?? '' });
}

/** A validator of one schema (a union's own errors may not say which field is wrong: see messageChecker). */
export function compileCheck(schema: TSchema): MessageCheck {
  const check = TypeCompiler.Compile(schema);
  return (msg) => {
    const unchecked: unknown = msg;
    return check.Check(unchecked) ? undefined : firstError(check, msg.type, unchecked);
  };
}

/**
 * A validator of a union of message schemas: each body is checked against the variant of its
 * `type`, so the error names the field of that variant rather than the union's first mismatch.
 */
export function messageChecker(union: TUnion<TObject[]>): MessageCheck {
  const variants = new Map<string, TypeCheck<TObject>>();
  for (const variant of union.anyOf) {
    const literal: unknown = variant.properties['type'];
    const type = typeof literal === 'object' && literal !== null && 'const' in literal ? String(literal.const) : undefined;
    if (type === undefined) throw new Error('every message schema needs a literal type');
    variants.set(type, TypeCompiler.Compile(variant));
  }
  return (msg) => {
    const check = variants.get(msg.type);
    if (check === undefined) return BadRequest(`unknown message type ${String(msg.type).slice(0, 64)}`, { field: '/type' });
    const unchecked: unknown = msg;
    return check.Check(unchecked) ? undefined : firstError(check, msg.type, unchecked);
  };
}

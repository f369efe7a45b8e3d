// Message validation for the image kinds: each body is checked against the schema variant of
// its `type`, and a failure is a BAD_REQUEST naming the first bad field (details.field, a JSON
// pointer), so a client learns what to fix.
import type { TObject, TUnion } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { BadRequest, type ErrorValue } from '../../transports/errors.js';

export function messageChecker(union: TUnion<TObject[]>): (msg: { readonly type: string }) => ErrorValue | undefined {
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
    if (check.Check(unchecked)) return undefined;
    const first = check.Errors(unchecked).First();
    return BadRequest(`invalid ${msg.type} message: ${first ? `${first.path} ${first.message}` : 'malformed'}`, { field: first?.path ?? '' });
  };
}

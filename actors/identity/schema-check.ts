// Validation of a message against its TypeBox schema, answered as BAD_REQUEST naming the first
// bad field. The message of an error names the path only, never the value: bodies of identity
// messages carry passwords.
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { BadRequest, type ErrorValue } from '../../transports/errors.js';

export function compileCheck(schema: TSchema): (msg: { readonly type: string }) => ErrorValue | undefined {
  const check = TypeCompiler.Compile(schema);
  return (msg) => {
    const unchecked: unknown = msg;
    if (check.Check(unchecked)) return undefined;
    const first = check.Errors(unchecked).First();
    const where = first === undefined ? 'malformed' : `${first.path || '/'} ${first.message}`;
    return BadRequest(`invalid ${msg.type} message: ${where}`, { field: first?.path ?? '' });
  };
}

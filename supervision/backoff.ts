// Exponential backoff with jitter between restarts (Akka's BackoffSupervisor formula), and a
// seeded generator so that tests and the simulator get the same delays on every run.
import type { BackoffPolicy } from './types.js';

/**
 * Delay before restart number `attempt` (1-based within the budget window):
 * min(maxMs, minMs × factor^(attempt-1)) × (1 + jitter × random()), random() in [0, 1).
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const factor = policy.factor ?? 2;
  const jitter = policy.jitter ?? 0.2;
  const base = Math.min(policy.maxMs, policy.minMs * factor ** Math.max(0, attempt - 1));
  if (base <= 0) return 0;
  return Math.round(base * (1 + jitter * random()));
}

/** mulberry32: a small, fast, seedable generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

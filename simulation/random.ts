// Seeded randomness: one independent stream per purpose (a workload's arrivals, its lifetimes,
// its flavor draws, host failures, ...), each derived from the run's seed and the stream's name,
// so adding a workload or a fault never shifts the draws of the others. Distributions of time
// are sampled here, in milliseconds.
import { seededRandom } from '../supervision/index.js';

export type Random = () => number;

/** FNV-1a of a string (32 bits), to mix stream names into seeds. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The stream `name` of the run with seed `seed`. */
export function stream(seed: number, name: string): Random {
  return seededRandom((hash32(name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
}

/** A time distribution, resolved to milliseconds. */
export type Distribution =
  | { readonly kind: 'fixed'; readonly value: number }
  | { readonly kind: 'exponential'; readonly mean: number }
  | { readonly kind: 'uniform'; readonly min: number; readonly max: number }
  | { readonly kind: 'lognormal'; readonly median: number; readonly sigma: number };

/** Exponential with the given mean: inverse transform on (0, 1]. */
export function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random());
}

function standardNormal(random: Random): number {
  // Box-Muller; 1 - random() is in (0, 1], so the log is finite.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function sample(d: Distribution, random: Random): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'exponential':
      return exponential(random, d.mean);
    case 'uniform':
      return d.min + (d.max - d.min) * random();
    case 'lognormal':
      return d.median * Math.exp(d.sigma * standardNormal(random));
    default: {
      const never: never = d;
      throw new Error(`unknown distribution ${JSON.stringify(never)}`);
    }
  }
}

export function meanOf(d: Distribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.value;
    case 'exponential':
      return d.mean;
    case 'uniform':
      return (d.min + d.max) / 2;
    case 'lognormal':
      return d.median * Math.exp((d.sigma * d.sigma) / 2);
    default: {
      const never: never = d;
      throw new Error(`unknown distribution ${JSON.stringify(never)}`);
    }
  }
}

/** Draws an index from weights (all ≥ 0, some > 0). */
export function weighted(weights: readonly number[], random: Random): number {
  let total = 0;
  for (const w of weights) total += w;
  let x = random() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i]!;
    if (x < 0) return i;
  }
  return weights.length - 1;
}

/**
 * UUID-shaped ids (version 4 layout) for one run: a random prefix drawn once from the stream,
 * then a counter in the last 12 hex digits. Unique within the run, the same on every run, and
 * cheap (a million are made in the benchmark).
 */
export function uuidSequence(random: Random): () => string {
  const hex = (digits: number): string =>
    Math.floor(random() * 16 ** digits)
      .toString(16)
      .padStart(digits, '0');
  const prefix = `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-`;
  let n = 0;
  return () => `${prefix}${(n++).toString(16).padStart(12, '0')}`;
}

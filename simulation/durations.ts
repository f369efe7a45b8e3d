// Durations in scenario files: a number is seconds; a string is a number with a unit (ms, s, m,
// h, d), as in `30s`, `5m`, `1.5h`. Internally every time is milliseconds of virtual time.

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$';
const DURATION = new RegExp(DURATION_PATTERN);

/** A scenario duration as milliseconds; undefined when it is not one. */
export function toMs(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const m = DURATION.exec(value);
  if (m === null) return undefined;
  const unit = m[2]!;
  return parseFloat(value.slice(0, value.length - unit.length)) * UNITS[unit]!;
}

/** The inverse for messages and reports: `90s`, `5m`, `2h 30m`, `3d`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s}s`;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = [d > 0 ? `${d}d` : '', h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : ''].filter((p) => p !== '');
  return parts.length === 0 ? `${s}s` : parts.join(' ');
}

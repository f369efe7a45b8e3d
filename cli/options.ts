// Parsing of command-line values, with errors that name the flag and the accepted range.
import { InvalidArgumentError } from 'commander';

export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0 = any free port)');
  const n = Number(value);
  if (n > 65535) throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0 = any free port)');
  return n;
}

export function parseCount(max: number) {
  return (value: string): number => {
    if (!/^\d{1,7}$/.test(value)) throw new InvalidArgumentError(`must be a whole number from 0 to ${max}`);
    const n = Number(value);
    if (n > max) throw new InvalidArgumentError(`must be a whole number from 0 to ${max}`);
    return n;
  };
}

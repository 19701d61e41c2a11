import { InvalidArgumentError } from 'commander';

export interface NumberRange {
  /** Whole numbers only. */
  integer?: boolean;
  min?: number;
  max?: number;
  /** The minimum itself is not allowed (e.g. a time limit must be > 0). */
  minExclusive?: boolean;
}

function describe(range: NumberRange): string {
  const kind = range.integer ? 'a whole number' : 'a number';
  const bounds = [
    range.min === undefined ? '' : `${range.minExclusive ? '>' : '>='} ${range.min}`,
    range.max === undefined ? '' : `<= ${range.max}`,
  ].filter(Boolean);
  return bounds.length ? `${kind} ${bounds.join(' and ')}` : kind;
}

/**
 * A commander argument parser for a numeric flag: text that is not a finite number in `range` is
 * refused by commander with the flag named (`option '--timeout <seconds>' argument 'abc' is invalid.
 * expected a number > 0`) and exit code 1, before any work starts.
 */
export function numberFlag(range: NumberRange = {}): (text: string) => number {
  return (text: string) => {
    const value = text.trim() === '' ? NaN : Number(text);
    const ok =
      Number.isFinite(value) &&
      (!range.integer || Number.isInteger(value)) &&
      (range.min === undefined || (range.minExclusive ? value > range.min : value >= range.min)) &&
      (range.max === undefined || value <= range.max);
    if (!ok) throw new InvalidArgumentError(`expected ${describe(range)}`);
    return value;
  };
}

/** Common ranges, one place each. */
export const FLAG_RANGES = {
  /** Counts of things to run at once: workers, threads. */
  parallelism: { integer: true, min: 1, max: 1024 },
  /** Time limits in seconds: more than a day is a typo. */
  seconds: { min: 0, minExclusive: true, max: 86_400 },
  /** Token counts a model generates. */
  tokens: { integer: true, min: 1, max: 1_000_000 },
  /** A count of items to take (--limit); 0 would do nothing and is refused. */
  count: { integer: true, min: 1 },
  /** Random seeds as the generators accept them. */
  seed: { integer: true, min: 0, max: 2 ** 32 - 1 },
  temperature: { min: 0, max: 100 },
  topP: { min: 0, max: 1, minExclusive: true },
  topK: { integer: true, min: 0 },
  repetitionPenalty: { min: 0, minExclusive: true },
  port: { integer: true, min: 0, max: 65_535 },
} satisfies Record<string, NumberRange>;

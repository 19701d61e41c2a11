/** One step of a lookup through a sequence of numbers. */
export interface SequenceStep {
  /** Id of the sequence that ends here, or -1. */
  id: number;
  next: Map<number, SequenceStep> | null;
}

/**
 * Gives every distinct sequence of numbers a small integer id, looked up one number at a time
 * from `start()`: cheaper than building and hashing a key string per sequence.
 */
export class SequenceInterner {
  private readonly root: SequenceStep = { id: -1, next: null };
  /** Number of ids given out. */
  size = 0;

  start(): SequenceStep {
    return this.root;
  }

  step(from: SequenceStep, value: number): SequenceStep {
    from.next ??= new Map();
    let next = from.next.get(value);
    if (!next) {
      next = { id: -1, next: null };
      from.next.set(value, next);
    }
    return next;
  }

  /** The id of the sequence that ends at `at`; a new one (equal to the former `size`) the first time. */
  end(at: SequenceStep): number {
    if (at.id < 0) at.id = this.size++;
    return at.id;
  }
}

/** The code of `key` in `codes`: 0, 1, 2, ... in order of first use. */
export function codeFor<K>(codes: Map<K, number>, key: K): number {
  let code = codes.get(key);
  if (code === undefined) {
    code = codes.size;
    codes.set(key, code);
  }
  return code;
}

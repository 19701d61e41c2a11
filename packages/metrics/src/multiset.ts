/**
 * A multiset of integer ids, held as its values sorted ascending: CodeBLEU's matches only
 * count values, and a sorted typed array is far lighter to keep in a cache (and to compare)
 * than a hash map of counts.
 */
export type SortedIds = Int32Array;

/** SortedIdPool's first buffer, and the size up to which clear keeps a grown one (64 kB). */
const POOL_INITIAL = 4096;
const POOL_KEPT = 1 << 14;

/**
 * Makes SortedIds as views into one shared buffer: a typed array of more than 64 bytes has a
 * buffer of its own outside V8's heap, freed one by one by the young-generation collection (0.13
 * of its 0.58 ms, java), and the four that scoring a pair made cost 1-2 % of its time (paired in
 * one process).
 */
export class SortedIdPool {
  private buffer = new Int32Array(POOL_INITIAL);
  private used = 0;

  /** Lets later lists overwrite the buffer: every list made before must have been dropped. */
  clear(): void {
    this.used = 0;
    if (this.buffer.length > POOL_KEPT) this.buffer = new Int32Array(POOL_INITIAL);
  }

  /** `ids` sorted. A full buffer is left to the lists that view it, and a new one begun. */
  sorted(ids: readonly number[] | Int32Array): SortedIds {
    if (this.used + ids.length > this.buffer.length) {
      this.buffer = new Int32Array(Math.max(2 * this.buffer.length, ids.length));
      this.used = 0;
    }
    const view = this.buffer.subarray(this.used, this.used + ids.length);
    view.set(ids);
    this.used += ids.length;
    return view.sort();
  }
}

/** Entries of `reference` (repeats counted) whose value occurs in `candidate` at all. */
export function countPresent(candidate: SortedIds, reference: SortedIds): number {
  let found = 0;
  let at = 0;
  for (const value of reference) {
    while (at < candidate.length && candidate[at] < value) at++;
    if (at === candidate.length) break;
    if (candidate[at] === value) found++;
  }
  return found;
}

/** Size of the multiset intersection: each candidate entry matches at most one reference entry. */
export function countCommon(candidate: SortedIds, reference: SortedIds): number {
  let common = 0;
  let c = 0;
  let r = 0;
  while (c < candidate.length && r < reference.length) {
    if (candidate[c] < reference[r]) c++;
    else if (candidate[c] > reference[r]) r++;
    else {
      common++;
      c++;
      r++;
    }
  }
  return common;
}

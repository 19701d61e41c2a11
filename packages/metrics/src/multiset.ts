/**
 * A multiset of integer ids, held as its values sorted ascending: CodeBLEU's matches only
 * count values, and a sorted typed array is far lighter to keep in a cache (and to compare)
 * than a hash map of counts.
 */
export type SortedIds = Int32Array;

export function sortedIds(ids: readonly number[]): SortedIds {
  return new Int32Array(ids).sort();
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

/**
 * De-duplicates names keeping first occurrences in order. The reference uses `list(set(...))`,
 * whose order follows Python's per-process string hashing, so its data-flow score can change
 * from run to run; insertion order is the deterministic choice (see README, "Hash seed").
 */
export function dedupeInOrder(names: readonly string[]): string[] {
  return [...new Set(names)];
}

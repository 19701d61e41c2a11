/**
 * De-duplicates the parent names of merged data-flow edges, sorted. The reference uses
 * `list(set(...))`, whose order follows Python's per-process string hashing, so its data-flow
 * score can change from run to run. Sorting (by code point, as Python compares strings) is the
 * deterministic order chosen: on every seed-dependent oracle pair of all ten languages it gives
 * a value the reference produced for some seed, which first-seen order does not (see README,
 * "Hash seed").
 */
export function dedupeNames(names: readonly string[]): string[] {
  // Lists are short (a loop's two passes, a merge of two edges): a linear search beats a Set there.
  const unique = names.length > 16 ? [...new Set(names)] : names.filter((name, at) => names.indexOf(name) === at);
  return unique.length > 1 ? unique.sort(compareCodePoints) : unique;
}

/** Python's string order, by code point: JavaScript's `<` compares UTF-16 units, which puts U+E000–U+FFFF after astral characters. */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const left = a.charCodeAt(i);
    const right = b.charCodeAt(i);
    if (left !== right) return codePointRank(left) - codePointRank(right);
  }
  return a.length - b.length;
}

/** Surrogates (halves of code points past U+FFFF) rank above every other UTF-16 unit. */
function codePointRank(unit: number): number {
  return unit >= 0xd800 && unit <= 0xdfff ? unit + 0x10000 : unit;
}

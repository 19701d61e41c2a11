/**
 * Fisher-Yates shuffle of a copy, drawing from `random` (uniform in [0, 1)), e.g.
 * `shuffle(items, mulberry32(seed))`. Passing one generator to several shuffles keeps them all
 * reproducible from a single seed.
 */
export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

import { finishDataflow } from '../src/dataflow.js';
import type { DataflowEdge } from '../src/dataflow-types.js';
import { edge } from '../src/dataflow/walk.js';
import { dedupeNames } from '../src/dedupe-names.js';

/** CodeBLEU's `get_data_flow` post-processing as written there: sorted, filtered, merged one edge at a time. */
function referenceFinish(edges: DataflowEdge[]): DataflowEdge[] {
  const sorted = edges.map((item, at) => ({ item, at })).sort((a, b) => a.item.index - b.item.index || a.at - b.at).map(({ item }) => item);
  const connected = new Set<number>();
  for (const item of sorted) {
    if (item.parentIndices.length) connected.add(item.index);
    for (const parent of item.parentIndices) connected.add(parent);
  }
  const merged = new Map<number, DataflowEdge>();
  for (const item of sorted.filter((candidate) => connected.has(candidate.index))) {
    const seen = merged.get(item.index);
    const indices = seen ? [...new Set([...seen.parentIndices, ...item.parentIndices])] : item.parentIndices;
    merged.set(item.index, seen ? edge(item.name, item.index, item.relation, dedupeNames([...seen.parents, ...item.parents]), indices) : item);
  }
  return [...merged.values()];
}

/** A deterministic pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function randomEdges(next: () => number, count: number, tokens: number): DataflowEdge[] {
  const pick = (n: number) => Math.floor(next() * n);
  return Array.from({ length: count }, () => {
    const parents = Array.from({ length: pick(3) }, () => pick(tokens));
    return edge(`v${pick(5)}`, pick(tokens), next() < 0.5 ? 'comesFrom' : 'computedFrom', parents.map((p) => `v${p % 5}`), parents);
  });
}

test.each([
  ['a few edges', 20, 30],
  ['many edges (the built-in sort)', 300, 200],
  ['token indices past the kept flags', 80, 5000],
])('finishDataflow equals the reference post-processing: %s', (_name, count, tokens) => {
  const next = random(count * 31 + tokens);
  for (let round = 0; round < 50; round++) {
    const edges = randomEdges(next, count, tokens);
    const expected = referenceFinish(edges);
    expect(finishDataflow([...edges])).toEqual(expected);
    // The flags finishDataflow keeps between calls are cleared: the same edges give the same again.
    expect(finishDataflow([...edges])).toEqual(expected);
  }
});

import type { DataflowEdge } from './dataflowTypes.js';
import { dedupeInOrder } from './dedupe.js';

/** A data-flow edge with variable names replaced by `var_<n>` labels: `[label, relation, parent labels]`. */
export type NormalizedEdge = [string, string, string[]];

/**
 * CodeBLEU's `get_data_flow` post-processing: sort by token index, drop tokens that neither
 * have a parent nor are anyone's parent, and merge edges sharing an index (the later name and
 * relation win; parent names and indices are united).
 */
export function finishDataflow(edges: DataflowEdge[]): DataflowEdge[] {
  const sorted = [...edges].sort((a, b) => a.index - b.index);
  const connected = new Set<number>();
  for (const item of sorted) {
    if (item.parentIndices.length) connected.add(item.index);
    for (const parent of item.parentIndices) connected.add(parent);
  }
  const byIndex = new Map<number, DataflowEdge>();
  for (const item of sorted) {
    if (!connected.has(item.index)) continue;
    const seen = byIndex.get(item.index);
    byIndex.set(
      item.index,
      seen
        ? {
            ...item,
            parents: dedupeInOrder([...seen.parents, ...item.parents]),
            parentIndices: [...new Set([...seen.parentIndices, ...item.parentIndices])],
          }
        : item,
    );
  }
  return [...byIndex.values()];
}

/** `normalize_dataflow`: one name->label map per snippet; parents are labelled before the edge's own name. */
export function normalizeDataflow(edges: DataflowEdge[]): NormalizedEdge[] {
  const labels = new Map<string, string>();
  const label = (name: string) => {
    let value = labels.get(name);
    if (value === undefined) {
      value = `var_${labels.size}`;
      labels.set(name, value);
    }
    return value;
  };
  return edges.map((item) => {
    const parents = item.parents.map(label);
    return [label(item.name), item.relation, parents];
  });
}

/**
 * Reference edges found in the candidate, each candidate edge used at most once (the
 * reference removes a matched candidate edge from its list: a multiset intersection).
 */
export function matchDataflow(candidate: NormalizedEdge[], reference: NormalizedEdge[]): { matched: number; total: number } {
  const available = new Map<string, number>();
  const keyOf = (item: NormalizedEdge) => `${item[0]} ${item[1]} ${item[2].join(',')}`;
  for (const item of candidate) available.set(keyOf(item), (available.get(keyOf(item)) ?? 0) + 1);
  let matched = 0;
  for (const item of reference) {
    const key = keyOf(item);
    const left = available.get(key) ?? 0;
    if (left > 0) {
      matched += 1;
      available.set(key, left - 1);
    }
  }
  return { matched, total: reference.length };
}

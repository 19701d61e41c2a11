import type { DataflowEdge } from './dataflowTypes.js';
import { dedupeInOrder } from './dedupe.js';
import { countCommon, type SortedIds } from './multiset.js';

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
  const normalized: NormalizedEdge[] = [];
  for (const item of edges) {
    const parents = item.parents.map((name) => labelFor(labels, name));
    normalized.push([labelFor(labels, item.name), item.relation, parents]);
  }
  return normalized;
}

function labelFor(labels: Map<string, string>, name: string): string {
  let label = labels.get(name);
  if (label === undefined) {
    label = `var_${labels.size}`;
    labels.set(name, label);
  }
  return label;
}

/** The edge as one comparable value (labels are `var_<n>`, so no separator occurs inside a part). */
export function edgeKey(edge: NormalizedEdge): string {
  return `${edge[0]} ${edge[1]} ${edge[2].join(',')}`;
}

/**
 * Reference edges found in the candidate, each candidate edge used at most once (the
 * reference removes a matched candidate edge from its list: a multiset intersection).
 */
export function matchDataflow(candidate: SortedIds, reference: SortedIds): { matched: number; total: number } {
  return { matched: countCommon(candidate, reference), total: reference.length };
}

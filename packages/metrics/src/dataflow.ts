import type { DataflowEdge, Relation } from './dataflow-types.js';
import { dedupeNames } from './dedupe-names.js';
import { countCommon, type SortedIds } from './multiset.js';
import { codeFor, type SequenceInterner } from './sequence-interner.js';

/** A data-flow edge with variable names replaced by `var_<n>` labels: `[label, relation, parent labels]`. */
export type NormalizedEdge = [string, string, string[]];

/**
 * CodeBLEU's `get_data_flow` post-processing: sort by token index, drop tokens that neither
 * have a parent nor are anyone's parent, and merge edges sharing an index (the later name and
 * relation win; parent names and indices are united).
 */
export function finishDataflow(edges: DataflowEdge[]): DataflowEdge[] {
  // Token indices are small, so arrays indexed by them stand in for the sort and the lookups;
  // edges of one index are merged in their original order, as after the reference's stable sort.
  const connected: boolean[] = [];
  for (const item of edges) {
    if (item.parentIndices.length) connected[item.index] = true;
    for (const parent of item.parentIndices) connected[parent] = true;
  }
  const byIndex: (DataflowEdge | undefined)[] = [];
  for (const item of edges) {
    if (!connected[item.index]) continue;
    const seen = byIndex[item.index];
    byIndex[item.index] = seen
      ? {
          ...item,
          parents: dedupeNames([...seen.parents, ...item.parents]),
          parentIndices: [...new Set([...seen.parentIndices, ...item.parentIndices])],
        }
      : item;
  }
  const finished: DataflowEdge[] = [];
  for (const item of byIndex) if (item) finished.push(item);
  return finished;
}

/** A normalised edge with labels as numbers: `[label, relation, parent labels]`, label n standing for `var_<n>`. */
export type LabelledEdge = [number, Relation, number[]];

/** `normalize_dataflow`: one name->label map per snippet; parents are labelled before the edge's own name. */
export function labelDataflow(edges: DataflowEdge[]): LabelledEdge[] {
  const labels = new Map<string, number>();
  const labelled: LabelledEdge[] = [];
  for (const item of edges) {
    const parents: number[] = [];
    for (const name of item.parents) parents.push(codeFor(labels, name));
    labelled.push([codeFor(labels, item.name), item.relation, parents]);
  }
  return labelled;
}

/** `normalize_dataflow` as the reference prints it. */
export function normalizeDataflow(edges: DataflowEdge[]): NormalizedEdge[] {
  return labelDataflow(edges).map(([label, relation, parents]) => [`var_${label}`, relation, parents.map((parent) => `var_${parent}`)]);
}

/** Ids of normalised edges: equal edges (of any snippets) get equal ids from one interner. */
export function internEdges(edges: LabelledEdge[], interner: SequenceInterner): number[] {
  return edges.map(([label, relation, parents]) => {
    let at = interner.step(interner.step(interner.start(), label), relation === 'comesFrom' ? 0 : 1);
    for (const parent of parents) at = interner.step(at, parent);
    return interner.end(at);
  });
}

/**
 * Reference edges found in the candidate, each candidate edge used at most once (the
 * reference removes a matched candidate edge from its list: a multiset intersection).
 */
export function matchDataflow(candidate: SortedIds, reference: SortedIds): { matched: number; total: number } {
  return { matched: countCommon(candidate, reference), total: reference.length };
}

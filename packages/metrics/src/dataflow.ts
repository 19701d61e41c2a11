import type { DataflowEdge, Relation } from './dataflow-types.js';
import { edge } from './dataflow/walk.js';
import { dedupeNames } from './dedupe-names.js';
import { countCommon, type SortedIds } from './multiset.js';
import { codeFor, type SequenceInterner } from './sequence-interner.js';

/** A data-flow edge with variable names replaced by `var_<n>` labels: `[label, relation, parent labels]`. */
export type NormalizedEdge = [string, string, string[]];

/**
 * CodeBLEU's `get_data_flow` post-processing: sort by token index, drop tokens that neither
 * have a parent nor are anyone's parent, and merge edges sharing an index (the later name and
 * relation win; parent names and indices are united). Sorts `edges` in place.
 */
export function finishDataflow(edges: DataflowEdge[]): DataflowEdge[] {
  sortByIndex(edges);
  const isParent = markParents(edges);
  const finished: DataflowEdge[] = [];
  for (let first = 0; first < edges.length; ) {
    const index = edges[first].index;
    let end = first;
    let hasParents = false;
    for (; end < edges.length && edges[end].index === index; end++) hasParents ||= edges[end].parentIndices.length > 0;
    if (hasParents || (index < isParent.length && isParent[index] === 1)) finished.push(end - first === 1 ? edges[first] : mergeEdges(edges.slice(first, end)));
    first = end;
  }
  for (const item of edges) for (const parent of item.parentIndices) isParent[parent] = 0;
  return finished;
}

/**
 * The reference's stable sort by token index. The walk emits edges almost in order (an
 * assignment's targets after its right side, a loop's merged passes), so insertion sort moves
 * few; long lists go to the built-in sort (stable too), which bounds the worst case.
 */
function sortByIndex(edges: DataflowEdge[]): void {
  if (edges.length > 64) {
    edges.sort((a, b) => a.index - b.index);
    return;
  }
  for (let i = 1; i < edges.length; i++) {
    const item = edges[i];
    let j = i - 1;
    for (; j >= 0 && edges[j].index > item.index; j--) edges[j + 1] = edges[j];
    edges[j + 1] = item;
  }
}

/** One flag per token index, 1 where it is some edge's parent: kept between calls, finishDataflow clears what it set. */
let parentFlags: Uint8Array = new Uint8Array(1024);

function markParents(edges: readonly DataflowEdge[]): Uint8Array {
  for (const item of edges) {
    for (const parent of item.parentIndices) {
      if (parent >= parentFlags.length) parentFlags = grownFlags(parent + 1);
      parentFlags[parent] = 1;
    }
  }
  return parentFlags;
}

/** parentFlags with room for `tokens` indices (its flags kept). */
function grownFlags(tokens: number): Uint8Array {
  const grown = new Uint8Array(2 * tokens);
  grown.set(parentFlags);
  return grown;
}

/**
 * The reference merges the edges of an index one by one, each time uniting the parent names
 * (`list(set(...))`, de-duplicated here sorted, see dedupeNames) and indices (first occurrence
 * order); uniting them all at once gives the same.
 */
function mergeEdges(group: DataflowEdge[]): DataflowEdge {
  const names: string[] = [];
  const indices: number[] = [];
  for (const item of group) {
    for (const name of item.parents) names.push(name);
    for (const parent of item.parentIndices) indices.push(parent);
  }
  // Short lists (the usual) are searched; a Set pays off only for long ones.
  const uniqueIndices = indices.length > 16 ? [...new Set(indices)] : indices.filter((parent, at) => indices.indexOf(parent) === at);
  const last = group[group.length - 1];
  return edge(last.name, last.index, last.relation, dedupeNames(names), uniqueIndices);
}

/** A normalised edge with labels as numbers: `[label, relation, parent labels]`, label n standing for `var_<n>`. */
type LabelledEdge = [number, Relation, number[]];

/** `normalize_dataflow`: one name->label map per snippet; parents are labelled before the edge's own name. */
function labelDataflow(edges: DataflowEdge[]): LabelledEdge[] {
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

/**
 * Ids of the edges normalised (labelDataflow) and interned as `[label, relation, parent
 * labels]`: equal normalised edges (of any snippets) get equal ids from one interner. Labels
 * are given here as the edges are interned, without making the labelled edges.
 */
export function internEdges(edges: DataflowEdge[], interner: SequenceInterner): number[] {
  const labels = new Map<string, number>();
  const ids: number[] = [];
  for (const { name, relation, parents } of edges) {
    const values = interner.scratch(2 + parents.length);
    // Parents are labelled before the edge's own name, as in labelDataflow.
    for (let i = 0; i < parents.length; i++) values[2 + i] = codeFor(labels, parents[i]);
    values[0] = codeFor(labels, name);
    values[1] = relation === 'comesFrom' ? 0 : 1;
    ids.push(interner.intern(2 + parents.length));
  }
  return ids;
}

/**
 * Reference edges found in the candidate, each candidate edge used at most once (the
 * reference removes a matched candidate edge from its list: a multiset intersection).
 */
export function matchDataflow(candidate: SortedIds, reference: SortedIds): { matched: number; total: number } {
  return { matched: countCommon(candidate, reference), total: reference.length };
}

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
 * relation win; parent names and indices are united).
 */
export function finishDataflow(edges: DataflowEdge[]): DataflowEdge[] {
  // Token indices are small, so arrays indexed by them stand in for the sort and the lookups
  // (sized up front: assigning far past the end of an empty array makes it a slow dictionary);
  // edges of one index are merged in their original order, as after the reference's stable sort.
  let tokens = 0;
  for (const item of edges) {
    tokens = Math.max(tokens, item.index + 1);
    for (const parent of item.parentIndices) tokens = Math.max(tokens, parent + 1);
  }
  const connected: boolean[] = new Array(tokens).fill(false);
  for (const item of edges) {
    if (item.parentIndices.length) connected[item.index] = true;
    for (const parent of item.parentIndices) connected[parent] = true;
  }
  // The edges of each kept index: one edge, or a list of them to merge in one go.
  const byIndex: (DataflowEdge | DataflowEdge[] | null)[] = new Array(tokens).fill(null);
  for (const item of edges) {
    if (!connected[item.index]) continue;
    const seen = byIndex[item.index];
    if (seen === null) byIndex[item.index] = item;
    else if (Array.isArray(seen)) seen.push(item);
    else byIndex[item.index] = [seen, item];
  }
  const finished: DataflowEdge[] = [];
  for (const group of byIndex) if (group) finished.push(Array.isArray(group) ? mergeEdges(group) : group);
  return finished;
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

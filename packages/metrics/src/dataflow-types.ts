export type Relation = 'comesFrom' | 'computedFrom';

/** One data-flow edge: the variable token at `index` comes from / is computed from `parents`. Never modified once made (edges share lists). */
export interface DataflowEdge {
  name: string;
  index: number;
  relation: Relation;
  parents: readonly string[];
  parentIndices: readonly number[];
}

/** Variable name -> token indices where it was last defined. Treated as immutable values. */
export type DefinitionStates = Map<string, readonly number[]>;

/** Thrown where the reference's Python code raises; the snippet then has no data flow. */
export class DataflowExtractionError extends Error {}

import { DataflowExtractionError, type DataflowEdge, type DefinitionStates, type Relation } from '../dataflow-types.js';
import { dedupeNames } from '../dedupe-names.js';
import { variableLeaves, type TokenTable } from '../tokens.js';
import type { FlatTree } from '../tree.js';
import { Scope, type SharedStates } from './scope.js';

/** How one node type is handled; the walk's shared rules are its building blocks. */
export type Rule = (walk: DataflowWalk, node: number, scope: Scope, out: DataflowEdge[]) => void;

/** A language's `DFG_<lang>`: rules by node type; other nodes visit their children in order (or as `sequence` says). */
export interface DataflowRules {
  byType: ReadonlyMap<string, Rule>;
  sequence?: Rule;
}

/** How the reference's if-statement rule of a language tells branches apart and merges their states. */
export interface IfStatementShape {
  /** Children of these types start from the states before the statement (the rule's own type list). */
  branchTypes: ReadonlySet<string>;
  /** Whether every child after the first branch child is a branch too (the reference's `flag`). */
  laterChildrenAreBranches: boolean;
  /** Whether the states before the statement always join the merge, not only without an `else` (go, javascript, php). */
  alwaysKeepsOuterStates: boolean;
}

/** Left and right targets of a python/ruby-style assignment, paired element-wise. */
export interface Sides {
  left: number[];
  right: number[];
}

/** The data-flow extraction function of a language, built from its rules. */
export function dataflowExtractor(rules: DataflowRules): (tree: FlatTree, tokens: TokenTable) => DataflowEdge[] {
  return (tree, tokens) => {
    const edges: DataflowEdge[] = [];
    new DataflowWalk(tree, tokens, rules).visit(0, Scope.empty(), edges);
    return edges;
  };
}

/**
 * The rules the reference's `DFG_<lang>` functions are made of, rule for rule (see the package
 * README for their quirks). The reference returns a list per node, sorted by token index; here
 * every node appends to one list, which `finishDataflow` sorts once. Its sort is stable, so only
 * the order among edges of one index matters, and that order is the same. Where the reference
 * dereferences a node that is missing it raises, losing the snippet's data flow: `need` throws.
 */
export class DataflowWalk {
  constructor(
    readonly tree: FlatTree,
    readonly tokens: TokenTable,
    private readonly rules: DataflowRules,
  ) {}

  visit(node: number, scope: Scope, out: DataflowEdge[]): void {
    if (this.tokens.isLeaf(node)) return this.leaf(node, scope, out);
    const rule = this.rules.byType.get(this.tree.type[node]);
    if (rule) rule(this, node, scope, out);
    else if (this.rules.sequence) this.rules.sequence(this, node, scope, out);
    else this.sequence(node, scope, out);
  }

  sequence(node: number, scope: Scope, out: DataflowEdge[]): void {
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) this.visit(child, scope, out);
  }

  private leaf(node: number, scope: Scope, out: DataflowEdge[]): void {
    const index = this.tokens.index[node];
    // A leaf the token table skipped (inside a comment) is a KeyError in the reference.
    if (index < 0) throw new DataflowExtractionError(`${this.tree.type[node]} leaf without a token`);
    const text = this.tokens.text[node];
    if (this.tree.type[node] === text) return;
    const known = scope.get(text);
    if (known) {
      // Definition states and edges are never modified once made, so the edge may hold the list.
      out.push(edge(text, index, 'comesFrom', [text], known));
      return;
    }
    if (this.tree.type[node] === 'identifier') scope.define(text, [index]);
    out.push(edge(text, index, 'comesFrom', NO_NAMES, NO_INDICES));
  }

  /** `name = value` declarations: every name variable comes from every value variable. */
  definition(name: number | null, value: number | null, scope: Scope, out: DataflowEdge[]): void {
    const names = this.variables(name);
    if (value === null) {
      for (const leaf of names) {
        out.push(edge(this.tokens.text[leaf], this.tokens.index[leaf], 'comesFrom', [], []));
        scope.define(this.tokens.text[leaf], [this.tokens.index[leaf]]);
      }
      return;
    }
    const values = this.variables(value);
    this.visit(value, scope, out);
    this.pairwise(names, values, 'comesFrom', scope, out);
  }

  /** `left = right` (java and most others): one computedFrom edge per (target, source) pair. */
  assignment(left: number | null, right: number | null, scope: Scope, out: DataflowEdge[]): void {
    this.visit(need(right), scope, out);
    this.pairwise(this.variables(left), this.variables(right), 'computedFrom', scope, out);
  }

  /** `i++`: every variable of the node is computed from every one (itself included). */
  increment(node: number, scope: Scope, out: DataflowEdge[]): void {
    const variables = this.variables(node);
    this.pairwise(variables, variables, 'computedFrom', scope, out);
  }

  private pairwise(targets: number[], sources: number[], relation: Relation, scope: Scope, out: DataflowEdge[]): void {
    const { text, index } = this.tokens;
    for (const target of targets) {
      for (const source of sources) out.push(edge(text[target], index[target], relation, [text[source]], [index[source]]));
      scope.define(text[target], [index[target]]);
    }
  }

  /** Python/ruby style: every variable of each left target is computed from all variables of its right side, in one edge. */
  computedFrom(sides: Sides, scope: Scope, out: DataflowEdge[]): void {
    const pairs = Math.min(sides.left.length, sides.right.length);
    for (let i = 0; i < pairs; i++) {
      const sources = this.variables(sides.right[i]);
      const parentNames = sources.map((leaf) => this.tokens.text[leaf]);
      const parentIndices = sources.map((leaf) => this.tokens.index[leaf]);
      for (const target of this.variables(sides.left[i])) {
        const text = this.tokens.text[target];
        const index = this.tokens.index[target];
        out.push(edge(text, index, 'computedFrom', parentNames, parentIndices));
        scope.define(text, [index]);
      }
    }
  }

  /** Left and right targets, element-wise when both sides have as many non-comma children. */
  pairSides(node: number): Sides {
    const left = need(this.field(node, 'left'));
    const right = need(this.field(node, 'right'));
    let leftNodes = this.childrenWithoutCommas(left);
    let rightNodes = this.childrenWithoutCommas(right);
    if (leftNodes.length !== rightNodes.length) {
      leftNodes = [left];
      rightNodes = [right];
    }
    if (leftNodes.length === 0) leftNodes = [left];
    if (rightNodes.length === 0) rightNodes = [right];
    return { left: leftNodes, right: rightNodes };
  }

  private childrenWithoutCommas(node: number): number[] {
    return this.children(node).filter((child) => this.tree.type[child] !== ',');
  }

  ifStatement(node: number, scope: Scope, out: DataflowEdge[], shape: IfStatementShape): void {
    const current = scope.fork();
    const branchStates: DefinitionStates[] = [];
    let hasElse = this.tree.type[node].includes('else');
    let inBranches = false;
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) {
      const type = this.tree.type[child];
      if (type.includes('else')) hasElse = true;
      if (!inBranches && !shape.branchTypes.has(type)) {
        this.visit(child, current, out);
        continue;
      }
      inBranches = shape.laterChildrenAreBranches;
      // Branches start from the states before the statement.
      const branch = scope.fork();
      this.visit(child, branch, out);
      branchStates.push(branch.map);
    }
    branchStates.push(current.map);
    if (!hasElse || shape.alwaysKeepsOuterStates) branchStates.push(scope.map);
    scope.replace(mergeStates(branchStates));
  }

  /**
   * A C-style `for`: all children, then once more those after the child `startsSecondPass`
   * accepts (which may visit part of it first, as go's rule does with the clause's update).
   */
  forStatement(node: number, scope: Scope, out: DataflowEdge[], startsSecondPass: (child: number, scope: Scope, edges: DataflowEdge[]) => boolean): void {
    const edges: DataflowEdge[] = [];
    this.sequence(node, scope, edges);
    let second = false;
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) {
      if (second) this.visit(child, scope, edges);
      else second = startsSecondPass(child, scope, edges);
    }
    appendAll(out, mergeLoopPasses(edges));
  }

  /** `for (name : value) body`, twice (loop-carried dependencies): name variables computed from value variables pairwise. */
  enhancedFor(name: number | null, value: number | null, body: number | null, scope: Scope, out: DataflowEdge[]): void {
    const edges: DataflowEdge[] = [];
    for (let pass = 0; pass < 2; pass++) {
      this.visit(need(value), scope, edges);
      this.pairwise(this.variables(name), this.variables(value), 'computedFrom', scope, edges);
      this.visit(need(body), scope, edges);
    }
    appendAll(out, mergeLoopPasses(edges));
  }

  /** A loop whose rule runs `pass` twice (the second pass sees the first's definitions), then merges the passes' edges. */
  twice(out: DataflowEdge[], pass: (edges: DataflowEdge[]) => void): void {
    const edges: DataflowEdge[] = [];
    pass(edges);
    pass(edges);
    appendAll(out, mergeLoopPasses(edges));
  }

  /** `child_by_field_name`: the first child under `field`, or null. */
  field(node: number, field: string): number | null {
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) if (this.tree.field[child] === field) return child;
    return null;
  }

  /** `node.children`, for the rules that index them. */
  children(node: number): number[] {
    const found: number[] = [];
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) found.push(child);
    return found;
  }

  /** `tree_to_variable_index`, raising for a missing node as the reference does. */
  variables(node: number | null): number[] {
    return variableLeaves(this.tree, this.tokens, need(node));
  }
}

/** The reference dereferences the node; when it is missing that raises and the snippet has no data flow. */
export function need(node: number | null): number {
  if (node === null) throw new DataflowExtractionError('a node the rule reads is missing');
  return node;
}

/** The parents of an edge without any, shared by all of them. */
const NO_NAMES: readonly string[] = [];
const NO_INDICES: readonly number[] = [];

/** Every edge is made here, so that all have one shape (an object spread gives each merged one another). */
export function edge(name: string, index: number, relation: Relation, parents: readonly string[], parentIndices: readonly number[]): DataflowEdge {
  return { name, index, relation, parents, parentIndices };
}

// Spread-push (`a.push(...b)`) overflows the call stack for very long arrays.
function appendAll(target: DataflowEdge[], items: readonly DataflowEdge[]): void {
  for (const item of items) target.push(item);
}

/** Sorts `values` in place and drops repeats. */
function sortedUnique(values: number[]): number[] {
  values.sort((a, b) => a - b);
  let kept = 0;
  for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[kept - 1]) values[kept++] = values[i];
  if (kept < values.length) values.length = kept;
  return values;
}

/**
 * A loop's two passes mostly repeat an edge with the same one parent, whose union is that
 * list again (edges are never modified once made, so it can be shared).
 */
function sameSingle<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === 1 && b.length === 1 && a[0] === b[0];
}

/** dedupeNames of both lists. */
function unitedNames(a: readonly string[], b: readonly string[]): readonly string[] {
  return sameSingle(a, b) ? a : dedupeNames(a.concat(b));
}

/** The indices of both lists, sorted, without repeats. */
function unitedIndices(a: readonly number[], b: readonly number[]): readonly number[] {
  return sameSingle(a, b) ? a : sortedUnique(a.concat(b));
}

/**
 * The reference's merge after an if: every name's indices from all the states, sorted, without
 * repeats. Every state's lists are sorted and without repeats already (one index, or an earlier
 * merge), and branches that defined nothing hand back the very map they started from, so the
 * merge is a union of sorted lists that skips maps and lists it has seen; with one distinct map
 * that map is the result. Nothing depends on the order of a map's names.
 */
function mergeStates(states: DefinitionStates[]): SharedStates {
  const distinct = [...new Set(states)];
  if (distinct.length === 1) return { map: distinct[0], shared: true };
  const merged = new Map(distinct[0]);
  for (let i = 1; i < distinct.length; i++) {
    for (const [name, indices] of distinct[i]) {
      const seen = merged.get(name);
      merged.set(name, seen === undefined || seen === indices ? indices : unionSorted(seen, indices));
    }
  }
  return { map: merged, shared: false };
}

/** The union of two ascending lists without repeats, ascending and without repeats. */
function unionSorted(a: readonly number[], b: readonly number[]): readonly number[] {
  const union: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) union.push(a[i++]);
    else if (a[i] > b[j]) union.push(b[j++]);
    else {
      union.push(a[i++]);
      j++;
    }
  }
  while (i < a.length) union.push(a[i++]);
  while (j < b.length) union.push(b[j++]);
  return union;
}

const byIndex = (a: DataflowEdge, b: DataflowEdge) => a.index - b.index;

/**
 * Merges the edges of a loop's two passes that share (name, index, relation), ordered by index.
 * The name is the text of the token at the index, so (index, relation) identifies the group.
 */
function mergeLoopPasses(edges: DataflowEdge[]): DataflowEdge[] {
  const merged = new Map<number, DataflowEdge>();
  for (const item of edges) {
    const key = item.index * 2 + (item.relation === 'computedFrom' ? 1 : 0);
    const seen = merged.get(key);
    // Edges are never modified once made, so the first of a group stands for itself.
    merged.set(key, seen ? edge(seen.name, seen.index, seen.relation, unitedNames(seen.parents, item.parents), unitedIndices(seen.parentIndices, item.parentIndices)) : item);
  }
  return [...merged.values()].sort(byIndex);
}

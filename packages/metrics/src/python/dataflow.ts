import { DataflowExtractionError, type DataflowEdge, type DefinitionStates } from '../dataflow-types.js';
import { variableLeaves, type TokenTable } from '../tokens.js';
import type { FlatTree } from '../tree.js';
import { dedupeInOrder } from '../dedupe.js';

/**
 * The definition states one visit works on. The reference copies its states dict on every
 * call and returns the updated copy, which the caller adopts; here a visit updates the
 * caller's holder in place instead, and the map is copied only before the first write to a
 * map that is shared (after `fork`). Only the if-statement rule needs the states from before a
 * child was visited, and it forks them.
 */
class Scope {
  constructor(
    public map: DefinitionStates,
    private owned: boolean,
  ) {}

  get(name: string): readonly number[] | undefined {
    return this.map.get(name);
  }

  define(name: string, indices: readonly number[]): void {
    if (!this.owned) {
      this.map = new Map(this.map);
      this.owned = true;
    }
    this.map.set(name, indices);
  }

  replace(map: DefinitionStates): void {
    this.map = map;
    this.owned = true;
  }

  /** A second holder of the same states; both copy before writing from now on. */
  fork(): Scope {
    this.owned = false;
    return new Scope(this.map, false);
  }
}

const byIndex = (a: DataflowEdge, b: DataflowEdge) => a.index - b.index;

/**
 * CodeBLEU's `DFG_python`, rule for rule (see the package README for the rules and their
 * quirks).
 */
export function extractPythonDataflow(tree: FlatTree, tokens: TokenTable): DataflowEdge[] {
  const edges: DataflowEdge[] = [];
  new PythonDataflow(tree, tokens).visit(0, new Scope(new Map(), true), edges);
  return edges;
}

class PythonDataflow {
  constructor(
    private readonly tree: FlatTree,
    private readonly tokens: TokenTable,
  ) {}

  /**
   * Appends the edges of `node` to `out`. The reference returns a list per node, sorted by token
   * index; here every node appends to one list, which `finishDataflow` sorts once. Its sort is
   * stable, so only the order among edges of one index matters, and that order is the same.
   */
  visit(node: number, scope: Scope, out: DataflowEdge[]): void {
    const type = this.tree.type[node];
    if (this.tokens.isLeaf(node)) this.leaf(node, scope, out);
    else if (type === 'default_parameter') this.defaultParameter(node, scope, out);
    else if (type === 'assignment' || type === 'augmented_assignment' || type === 'for_in_clause') this.assignment(node, scope, out);
    else if (type === 'if_statement') this.ifStatement(node, scope, out);
    else if (type === 'for_statement') this.forStatement(node, scope, out);
    else if (type === 'while_statement') this.whileStatement(node, scope, out);
    else this.sequence(node, scope, out);
  }

  private leaf(node: number, scope: Scope, out: DataflowEdge[]): void {
    const index = this.tokens.index[node];
    const text = this.tokens.text[node];
    if (this.tree.type[node] === text) return;
    const known = scope.get(text);
    if (known) {
      out.push(edge(text, index, 'comesFrom', [text], [...known]));
      return;
    }
    if (this.tree.type[node] === 'identifier') scope.define(text, [index]);
    out.push(edge(text, index, 'comesFrom', [], []));
  }

  private defaultParameter(node: number, scope: Scope, out: DataflowEdge[]): void {
    const name = this.requireField(node, 'name');
    const value = this.fieldChild(node, 'value');
    if (value === null) {
      for (const leaf of variableLeaves(this.tree, this.tokens, name)) {
        out.push(edge(this.tokens.text[leaf], this.tokens.index[leaf], 'comesFrom', [], []));
        scope.define(this.tokens.text[leaf], [this.tokens.index[leaf]]);
      }
      return;
    }
    const nameLeaves = variableLeaves(this.tree, this.tokens, name);
    const valueLeaves = variableLeaves(this.tree, this.tokens, value);
    this.visit(value, scope, out);
    for (const leaf of nameLeaves) {
      const text = this.tokens.text[leaf];
      const index = this.tokens.index[leaf];
      for (const source of valueLeaves) {
        out.push(edge(text, index, 'comesFrom', [this.tokens.text[source]], [this.tokens.index[source]]));
      }
      scope.define(text, [index]);
    }
  }

  private assignment(node: number, scope: Scope, out: DataflowEdge[]): void {
    let sides: { left: number[]; right: number[] };
    if (this.tree.type[node] === 'for_in_clause') {
      sides = { left: [this.requireField(node, 'left')], right: [this.tree.lastChild[node]] };
    } else {
      if (this.fieldChild(node, 'right') === null) return;
      sides = this.pairSides(node);
    }
    for (const right of sides.right) this.visit(right, scope, out);
    this.computedFrom(sides, out, scope);
  }

  private ifStatement(node: number, scope: Scope, out: DataflowEdge[]): void {
    const current = scope.fork();
    const branchStates: DefinitionStates[] = [];
    let hasElse = false;
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) {
      const type = this.tree.type[child];
      if (type.includes('else')) hasElse = true;
      if (type !== 'elif_clause' && type !== 'else_clause') {
        this.visit(child, current, out);
      } else {
        // elif/else start from the states before the if statement.
        const branch = scope.fork();
        this.visit(child, branch, out);
        branchStates.push(branch.map);
      }
    }
    branchStates.push(current.map);
    if (!hasElse) branchStates.push(scope.map);
    const merged = new Map<string, number[]>();
    for (const branch of branchStates) {
      for (const [name, indices] of branch) merged.set(name, [...(merged.get(name) ?? []), ...indices]);
    }
    for (const [name, indices] of merged) merged.set(name, sortedUnique(indices));
    scope.replace(merged);
  }

  private forStatement(node: number, scope: Scope, out: DataflowEdge[]): void {
    const edges: DataflowEdge[] = [];
    const body = this.tree.lastChild[node];
    // Two passes model loop-carried dependencies (the second pass sees the first's definitions).
    for (let pass = 0; pass < 2; pass++) {
      const sides = this.pairSides(node);
      for (const right of sides.right) this.visit(right, scope, edges);
      this.computedFrom(sides, edges, scope);
      // With `for ... else` the last child is the else clause, and the body is never visited.
      if (this.tree.type[body] === 'block') this.visit(body, scope, edges);
    }
    appendAll(out, mergeLoopPasses(edges));
  }

  private whileStatement(node: number, scope: Scope, out: DataflowEdge[]): void {
    const edges: DataflowEdge[] = [];
    for (let pass = 0; pass < 2; pass++) {
      for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) this.visit(child, scope, edges);
    }
    appendAll(out, mergeLoopPasses(edges));
  }

  private sequence(node: number, scope: Scope, out: DataflowEdge[]): void {
    const { firstChild, nextSibling, type } = this.tree;
    // Comprehension clauses first, so the comprehension's body sees the loop variable.
    for (let child = firstChild[node]; child >= 0; child = nextSibling[child]) if (type[child] === 'for_in_clause') this.visit(child, scope, out);
    for (let child = firstChild[node]; child >= 0; child = nextSibling[child]) if (type[child] !== 'for_in_clause') this.visit(child, scope, out);
  }

  /** Left and right targets, element-wise when both sides have as many non-comma children. */
  private pairSides(node: number): { left: number[]; right: number[] } {
    const left = this.requireField(node, 'left');
    const right = this.requireField(node, 'right');
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
    const kept: number[] = [];
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) if (this.tree.type[child] !== ',') kept.push(child);
    return kept;
  }

  /** Every variable token of each left target is computed from all variable tokens of its right side. */
  private computedFrom(sides: { left: number[]; right: number[] }, edges: DataflowEdge[], scope: Scope): void {
    const pairs = Math.min(sides.left.length, sides.right.length);
    for (let i = 0; i < pairs; i++) {
      const sources = variableLeaves(this.tree, this.tokens, sides.right[i]);
      const parentNames = sources.map((leaf) => this.tokens.text[leaf]);
      const parentIndices = sources.map((leaf) => this.tokens.index[leaf]);
      for (const target of variableLeaves(this.tree, this.tokens, sides.left[i])) {
        const text = this.tokens.text[target];
        const index = this.tokens.index[target];
        edges.push(edge(text, index, 'computedFrom', parentNames, parentIndices));
        scope.define(text, [index]);
      }
    }
  }

  private fieldChild(node: number, field: string): number | null {
    for (let child = this.tree.firstChild[node]; child >= 0; child = this.tree.nextSibling[child]) if (this.tree.field[child] === field) return child;
    return null;
  }

  /** Where the reference dereferences a missing field it raises, losing the whole snippet's data flow. */
  private requireField(node: number, field: string): number {
    const child = this.fieldChild(node, field);
    if (child === null) throw new DataflowExtractionError(`${this.tree.type[node]} without ${field}`);
    return child;
  }
}

function edge(name: string, index: number, relation: DataflowEdge['relation'], parents: string[], parentIndices: number[]): DataflowEdge {
  return { name, index, relation, parents, parentIndices };
}

// Spread-push (`a.push(...b)`) overflows the call stack for very long arrays.
function appendAll(target: DataflowEdge[], items: readonly DataflowEdge[]): void {
  for (const item of items) target.push(item);
}

function sortedUnique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/**
 * Merges the edges of a loop's two passes that share (name, index, relation), ordered by index.
 * The name is the text of the token at the index, so (index, relation) identifies the group.
 */
function mergeLoopPasses(edges: DataflowEdge[]): DataflowEdge[] {
  const merged = new Map<number, DataflowEdge>();
  for (const item of edges) {
    const key = item.index * 2 + (item.relation === 'computedFrom' ? 1 : 0);
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...item });
    else {
      seen.parents = dedupeInOrder([...seen.parents, ...item.parents]);
      seen.parentIndices = sortedUnique([...seen.parentIndices, ...item.parentIndices]);
    }
  }
  return [...merged.values()].sort(byIndex);
}

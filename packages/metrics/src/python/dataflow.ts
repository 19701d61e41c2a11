import { DataflowExtractionError, type DataflowEdge, type DefinitionStates } from '../dataflowTypes.js';
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
  return new PythonDataflow(tree, tokens).visit(0, new Scope(new Map(), true));
}

class PythonDataflow {
  constructor(
    private readonly tree: FlatTree,
    private readonly tokens: TokenTable,
  ) {}

  visit(node: number, scope: Scope): DataflowEdge[] {
    const type = this.tree.type[node];
    if (this.tokens.isLeaf(node)) return this.leaf(node, scope);
    if (type === 'default_parameter') return this.defaultParameter(node, scope);
    if (type === 'assignment' || type === 'augmented_assignment' || type === 'for_in_clause') {
      return this.assignment(node, scope);
    }
    if (type === 'if_statement') return this.ifStatement(node, scope);
    if (type === 'for_statement') return this.forStatement(node, scope);
    if (type === 'while_statement') return this.whileStatement(node, scope);
    return this.sequence(node, scope);
  }

  private leaf(node: number, scope: Scope): DataflowEdge[] {
    const index = this.tokens.index[node];
    const text = this.tokens.text[node];
    if (this.tree.type[node] === text) return [];
    const known = scope.get(text);
    if (known) return [edge(text, index, 'comesFrom', [text], [...known])];
    if (this.tree.type[node] === 'identifier') scope.define(text, [index]);
    return [edge(text, index, 'comesFrom', [], [])];
  }

  private defaultParameter(node: number, scope: Scope): DataflowEdge[] {
    const name = this.requireField(node, 'name');
    const value = this.fieldChild(node, 'value');
    const edges: DataflowEdge[] = [];
    if (value === null) {
      for (const leaf of variableLeaves(this.tree, this.tokens, name)) {
        edges.push(edge(this.tokens.text[leaf], this.tokens.index[leaf], 'comesFrom', [], []));
        scope.define(this.tokens.text[leaf], [this.tokens.index[leaf]]);
      }
      return edges.sort(byIndex);
    }
    const nameLeaves = variableLeaves(this.tree, this.tokens, name);
    const valueLeaves = variableLeaves(this.tree, this.tokens, value);
    appendAll(edges, this.visit(value, scope));
    for (const leaf of nameLeaves) {
      const text = this.tokens.text[leaf];
      const index = this.tokens.index[leaf];
      for (const source of valueLeaves) {
        edges.push(edge(text, index, 'comesFrom', [this.tokens.text[source]], [this.tokens.index[source]]));
      }
      scope.define(text, [index]);
    }
    return edges.sort(byIndex);
  }

  private assignment(node: number, scope: Scope): DataflowEdge[] {
    let sides: { left: number[]; right: number[] };
    if (this.tree.type[node] === 'for_in_clause') {
      const children = this.tree.children[node];
      sides = { left: [this.requireField(node, 'left')], right: [children[children.length - 1]] };
    } else {
      if (this.fieldChild(node, 'right') === null) return [];
      sides = this.pairSides(node);
    }
    const edges: DataflowEdge[] = [];
    for (const right of sides.right) appendAll(edges, this.visit(right, scope));
    this.computedFrom(sides, edges, scope);
    return edges.sort(byIndex);
  }

  private ifStatement(node: number, scope: Scope): DataflowEdge[] {
    const edges: DataflowEdge[] = [];
    const current = scope.fork();
    const branchStates: DefinitionStates[] = [];
    let hasElse = false;
    for (const child of this.tree.children[node]) {
      const type = this.tree.type[child];
      if (type.includes('else')) hasElse = true;
      if (type !== 'elif_clause' && type !== 'else_clause') {
        appendAll(edges, this.visit(child, current));
      } else {
        // elif/else start from the states before the if statement.
        const branch = scope.fork();
        appendAll(edges, this.visit(child, branch));
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
    return edges.sort(byIndex);
  }

  private forStatement(node: number, scope: Scope): DataflowEdge[] {
    const edges: DataflowEdge[] = [];
    const children = this.tree.children[node];
    const body = children[children.length - 1];
    // Two passes model loop-carried dependencies (the second pass sees the first's definitions).
    for (let pass = 0; pass < 2; pass++) {
      const sides = this.pairSides(node);
      for (const right of sides.right) appendAll(edges, this.visit(right, scope));
      this.computedFrom(sides, edges, scope);
      // With `for ... else` the last child is the else clause, and the body is never visited.
      if (this.tree.type[body] === 'block') appendAll(edges, this.visit(body, scope));
    }
    return mergeLoopPasses(edges);
  }

  private whileStatement(node: number, scope: Scope): DataflowEdge[] {
    const edges: DataflowEdge[] = [];
    for (let pass = 0; pass < 2; pass++) {
      for (const child of this.tree.children[node]) appendAll(edges, this.visit(child, scope));
    }
    return mergeLoopPasses(edges);
  }

  private sequence(node: number, scope: Scope): DataflowEdge[] {
    const edges: DataflowEdge[] = [];
    const children = this.tree.children[node];
    // Comprehension clauses first, so the comprehension's body sees the loop variable.
    for (const child of children) if (this.tree.type[child] === 'for_in_clause') appendAll(edges, this.visit(child, scope));
    for (const child of children) if (this.tree.type[child] !== 'for_in_clause') appendAll(edges, this.visit(child, scope));
    return edges.sort(byIndex);
  }

  /** Left and right targets, element-wise when both sides have as many non-comma children. */
  private pairSides(node: number): { left: number[]; right: number[] } {
    const left = this.requireField(node, 'left');
    const right = this.requireField(node, 'right');
    const withoutCommas = (parent: number) => this.tree.children[parent].filter((c) => this.tree.type[c] !== ',');
    let leftNodes = withoutCommas(left);
    let rightNodes = withoutCommas(right);
    if (leftNodes.length !== rightNodes.length) {
      leftNodes = [left];
      rightNodes = [right];
    }
    if (leftNodes.length === 0) leftNodes = [left];
    if (rightNodes.length === 0) rightNodes = [right];
    return { left: leftNodes, right: rightNodes };
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
    for (const child of this.tree.children[node]) if (this.tree.field[child] === field) return child;
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

/** Merges the edges of a loop's two passes that share (name, index, relation), ordered by index. */
function mergeLoopPasses(edges: DataflowEdge[]): DataflowEdge[] {
  const merged = new Map<string, DataflowEdge>();
  for (const item of edges) {
    const key = `${item.index}\u0000${item.relation}\u0000${item.name}`;
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...item });
    else {
      seen.parents = dedupeInOrder([...seen.parents, ...item.parents]);
      seen.parentIndices = sortedUnique([...seen.parentIndices, ...item.parentIndices]);
    }
  }
  return [...merged.values()].sort(byIndex);
}

import { DataflowExtractionError, type DataflowEdge, type DefinitionStates } from '../dataflowTypes.js';
import { variableLeaves, type TokenTable } from '../tokens.js';
import type { FlatTree } from '../tree.js';
import { dedupeInOrder } from '../dedupe.js';

interface Visit {
  edges: DataflowEdge[];
  states: DefinitionStates;
}

const byIndex = (a: DataflowEdge, b: DataflowEdge) => a.index - b.index;

/**
 * CodeBLEU's `DFG_python`, rule for rule (see the package README for the rules and their
 * quirks). States are passed by value as in the reference, which copies its dict on every
 * call; here a map is copied only when a rule writes to one it did not create.
 */
export function extractPythonDataflow(tree: FlatTree, tokens: TokenTable): DataflowEdge[] {
  return new PythonDataflow(tree, tokens).visit(0, new Map()).edges;
}

class PythonDataflow {
  constructor(
    private readonly tree: FlatTree,
    private readonly tokens: TokenTable,
  ) {}

  visit(node: number, states: DefinitionStates): Visit {
    const type = this.tree.type[node];
    if (this.tokens.isLeaf(node)) return this.leaf(node, states);
    if (type === 'default_parameter') return this.defaultParameter(node, states);
    if (type === 'assignment' || type === 'augmented_assignment' || type === 'for_in_clause') {
      return this.assignment(node, states);
    }
    if (type === 'if_statement') return this.ifStatement(node, states);
    if (type === 'for_statement') return this.forStatement(node, states);
    if (type === 'while_statement') return this.whileStatement(node, states);
    return this.sequence(node, states);
  }

  private leaf(node: number, states: DefinitionStates): Visit {
    const index = this.tokens.index[node];
    const text = this.tokens.text[node];
    if (this.tree.type[node] === text) return { edges: [], states };
    const known = states.get(text);
    if (known) return { edges: [edge(text, index, 'comesFrom', [text], [...known])], states };
    if (this.tree.type[node] === 'identifier') states = withDefinition(states, text, [index]);
    return { edges: [edge(text, index, 'comesFrom', [], [])], states };
  }

  private defaultParameter(node: number, states: DefinitionStates): Visit {
    const name = this.requireField(node, 'name');
    const value = this.fieldChild(node, 'value');
    const edges: DataflowEdge[] = [];
    if (value === null) {
      for (const leaf of variableLeaves(this.tree, this.tokens, name)) {
        edges.push(edge(this.tokens.text[leaf], this.tokens.index[leaf], 'comesFrom', [], []));
        states = withDefinition(states, this.tokens.text[leaf], [this.tokens.index[leaf]]);
      }
      return { edges: edges.sort(byIndex), states };
    }
    const nameLeaves = variableLeaves(this.tree, this.tokens, name);
    const valueLeaves = variableLeaves(this.tree, this.tokens, value);
    const visited = this.visit(value, states);
    edges.push(...visited.edges);
    states = visited.states;
    for (const leaf of nameLeaves) {
      const text = this.tokens.text[leaf];
      const index = this.tokens.index[leaf];
      for (const source of valueLeaves) {
        edges.push(edge(text, index, 'comesFrom', [this.tokens.text[source]], [this.tokens.index[source]]));
      }
      states = withDefinition(states, text, [index]);
    }
    return { edges: edges.sort(byIndex), states };
  }

  private assignment(node: number, states: DefinitionStates): Visit {
    let sides: { left: number[]; right: number[] };
    if (this.tree.type[node] === 'for_in_clause') {
      const children = this.tree.children[node];
      sides = { left: [this.requireField(node, 'left')], right: [children[children.length - 1]] };
    } else {
      if (this.fieldChild(node, 'right') === null) return { edges: [], states };
      sides = this.pairSides(node);
    }
    const edges: DataflowEdge[] = [];
    for (const right of sides.right) {
      const visited = this.visit(right, states);
      edges.push(...visited.edges);
      states = visited.states;
    }
    states = this.computedFrom(sides, edges, states);
    return { edges: edges.sort(byIndex), states };
  }

  private ifStatement(node: number, states: DefinitionStates): Visit {
    const edges: DataflowEdge[] = [];
    let current = states;
    const branchStates: DefinitionStates[] = [];
    let hasElse = false;
    for (const child of this.tree.children[node]) {
      const type = this.tree.type[child];
      if (type.includes('else')) hasElse = true;
      if (type !== 'elif_clause' && type !== 'else_clause') {
        const visited = this.visit(child, current);
        edges.push(...visited.edges);
        current = visited.states;
      } else {
        const visited = this.visit(child, states);
        edges.push(...visited.edges);
        branchStates.push(visited.states);
      }
    }
    branchStates.push(current);
    if (!hasElse) branchStates.push(states);
    const merged = new Map<string, number[]>();
    for (const branch of branchStates) {
      for (const [name, indices] of branch) merged.set(name, [...(merged.get(name) ?? []), ...indices]);
    }
    for (const [name, indices] of merged) merged.set(name, sortedUnique(indices));
    return { edges: edges.sort(byIndex), states: merged };
  }

  private forStatement(node: number, states: DefinitionStates): Visit {
    const edges: DataflowEdge[] = [];
    const children = this.tree.children[node];
    const body = children[children.length - 1];
    // Two passes model loop-carried dependencies (the second pass sees the first's definitions).
    for (let pass = 0; pass < 2; pass++) {
      const sides = this.pairSides(node);
      for (const right of sides.right) {
        const visited = this.visit(right, states);
        edges.push(...visited.edges);
        states = visited.states;
      }
      states = this.computedFrom(sides, edges, states);
      // With `for ... else` the last child is the else clause, and the body is never visited.
      if (this.tree.type[body] === 'block') {
        const visited = this.visit(body, states);
        edges.push(...visited.edges);
        states = visited.states;
      }
    }
    return { edges: mergeLoopPasses(edges), states };
  }

  private whileStatement(node: number, states: DefinitionStates): Visit {
    const edges: DataflowEdge[] = [];
    for (let pass = 0; pass < 2; pass++) {
      for (const child of this.tree.children[node]) {
        const visited = this.visit(child, states);
        edges.push(...visited.edges);
        states = visited.states;
      }
    }
    return { edges: mergeLoopPasses(edges), states };
  }

  private sequence(node: number, states: DefinitionStates): Visit {
    const edges: DataflowEdge[] = [];
    const children = this.tree.children[node];
    // Comprehension clauses first, so the comprehension's body sees the loop variable.
    const ordered = [
      ...children.filter((child) => this.tree.type[child] === 'for_in_clause'),
      ...children.filter((child) => this.tree.type[child] !== 'for_in_clause'),
    ];
    for (const child of ordered) {
      const visited = this.visit(child, states);
      edges.push(...visited.edges);
      states = visited.states;
    }
    return { edges: edges.sort(byIndex), states };
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
  private computedFrom(sides: { left: number[]; right: number[] }, edges: DataflowEdge[], states: DefinitionStates) {
    const pairs = Math.min(sides.left.length, sides.right.length);
    for (let i = 0; i < pairs; i++) {
      const sources = variableLeaves(this.tree, this.tokens, sides.right[i]);
      const parentNames = sources.map((leaf) => this.tokens.text[leaf]);
      const parentIndices = sources.map((leaf) => this.tokens.index[leaf]);
      for (const target of variableLeaves(this.tree, this.tokens, sides.left[i])) {
        const text = this.tokens.text[target];
        const index = this.tokens.index[target];
        edges.push(edge(text, index, 'computedFrom', parentNames, parentIndices));
        states = withDefinition(states, text, [index]);
      }
    }
    return states;
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

function withDefinition(states: DefinitionStates, name: string, indices: number[]): DefinitionStates {
  const next = new Map(states);
  next.set(name, indices);
  return next;
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

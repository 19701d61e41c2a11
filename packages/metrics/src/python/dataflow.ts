import type { DataflowEdge } from '../dataflow-types.js';
import { dataflowExtractor, need, type DataflowWalk, type IfStatementShape, type Rule, type Sides } from '../dataflow/walk.js';
import type { Scope } from '../dataflow/scope.js';

const IF_SHAPE: IfStatementShape = {
  branchTypes: new Set(['elif_clause', 'else_clause']),
  laterChildrenAreBranches: false,
  alwaysKeepsOuterStates: false,
};

function defaultParameter(walk: DataflowWalk, node: number, scope: Scope, out: DataflowEdge[]): void {
  walk.definition(walk.field(node, 'name'), walk.field(node, 'value'), scope, out);
}

function assignment(walk: DataflowWalk, node: number, scope: Scope, out: DataflowEdge[]): void {
  let sides: Sides;
  if (walk.tree.type[node] === 'for_in_clause') {
    sides = { left: [need(walk.field(node, 'left'))], right: [walk.tree.lastChild[node]] };
  } else {
    if (walk.field(node, 'right') === null) return;
    sides = walk.pairSides(node);
  }
  for (const right of sides.right) walk.visit(right, scope, out);
  walk.computedFrom(sides, scope, out);
}

function forStatement(walk: DataflowWalk, node: number, scope: Scope, out: DataflowEdge[]): void {
  const body = walk.tree.lastChild[node];
  walk.twice(out, (edges) => {
    const sides = walk.pairSides(node);
    for (const right of sides.right) walk.visit(right, scope, edges);
    walk.computedFrom(sides, scope, edges);
    // With `for ... else` the last child is the else clause, and the body is never visited.
    if (walk.tree.type[body] === 'block') walk.visit(body, scope, edges);
  });
}

/** Comprehension clauses first, so the comprehension's body sees the loop variable. */
function comprehensionFirst(walk: DataflowWalk, node: number, scope: Scope, out: DataflowEdge[]): void {
  const { firstChild, nextSibling, type } = walk.tree;
  for (let child = firstChild[node]; child >= 0; child = nextSibling[child]) if (type[child] === 'for_in_clause') walk.visit(child, scope, out);
  for (let child = firstChild[node]; child >= 0; child = nextSibling[child]) if (type[child] !== 'for_in_clause') walk.visit(child, scope, out);
}

const rules = new Map<string, Rule>([
  ['default_parameter', defaultParameter],
  ['assignment', assignment],
  ['augmented_assignment', assignment],
  ['for_in_clause', assignment],
  ['if_statement', (walk, node, scope, out) => walk.ifStatement(node, scope, out, IF_SHAPE)],
  ['for_statement', forStatement],
  ['while_statement', (walk, node, scope, out) => walk.twice(out, (edges) => walk.sequence(node, scope, edges))],
]);

/** CodeBLEU's `DFG_python`, rule for rule (see the package README for the rules and their quirks). */
export const extractPythonDataflow = dataflowExtractor({ byType: rules, sequence: comprehensionFirst });

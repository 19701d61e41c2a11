import type { DataflowEdge } from '../dataflow-types.js';
import type { Scope } from './scope.js';
import { dataflowExtractor, need, type DataflowWalk, type IfStatementShape, type Rule, type Sides } from './walk.js';

/**
 * Branch children (`elsif`, `else`, and `when` in a `case`) start from the states before the
 * statement; there is no "every later child is a branch" flag, as in the python rule.
 */
const IF_SHAPE: IfStatementShape = {
  branchTypes: new Set(['if', 'elsif', 'else', 'unless', 'when']),
  laterChildrenAreBranches: false,
  alwaysKeepsOuterStates: false,
};

/** `a, b = c, d` pairs element-wise as in python; `a += b` is its first and last child. */
function assignment(walk: DataflowWalk, node: number, scope: Scope, out: DataflowEdge[]): void {
  const sides: Sides = walk.tree.type[node] === 'operator_assignment' ? operatorSides(walk, node) : walk.pairSides(node);
  for (const right of sides.right) walk.visit(right, scope, out);
  walk.computedFrom(sides, scope, out);
}

/** The reference still computes the paired sides first (raising where they are missing). */
function operatorSides(walk: DataflowWalk, node: number): Sides {
  walk.pairSides(node);
  return { left: [walk.tree.firstChild[node]], right: [walk.tree.lastChild[node]] };
}

function forLoop(walk: DataflowWalk, node: number, scope: Scope, out: DataflowEdge[]): void {
  walk.twice(out, (edges) => {
    const sides = { left: [need(walk.field(node, 'pattern'))], right: [need(walk.field(node, 'value'))] };
    walk.visit(sides.right[0], scope, edges);
    walk.computedFrom(sides, scope, edges);
    walk.visit(need(walk.field(node, 'body')), scope, edges);
  });
}

const ifStatement: Rule = (walk, node, scope, out) => walk.ifStatement(node, scope, out, IF_SHAPE);
const loop: Rule = (walk, node, scope, out) => walk.twice(out, (edges) => walk.sequence(node, scope, edges));

/**
 * CodeBLEU's `DFG_ruby`. Unlike the other functions it copies the states only at leaves, so a
 * rule may write into its caller's dict; every such write lands on a dict no other holder keeps
 * (each branch's first child is a keyword leaf, which copies), so value semantics give the same.
 */
export const extractRubyDataflow = dataflowExtractor({
  byType: new Map<string, Rule>([
    ['keyword_parameter', (walk, node, scope, out) => walk.definition(walk.field(node, 'name'), walk.field(node, 'value'), scope, out)],
    ['assignment', assignment],
    ['operator_assignment', assignment],
    ...[...IF_SHAPE.branchTypes].map((type) => [type, ifStatement] as [string, Rule]),
    ['for', forLoop],
    ['while_modifier', loop],
    ['until', loop],
  ]),
});

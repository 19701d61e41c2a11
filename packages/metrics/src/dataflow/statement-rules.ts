import type { DataflowEdge } from '../dataflow-types.js';
import type { Scope } from './scope.js';
import type { DataflowRules, DataflowWalk, Rule } from './walk.js';

type Parts<Names extends string> = (walk: DataflowWalk, node: number) => Record<Names, number | null>;

/**
 * The rule lists of the reference's `DFG_java` and its copies for c_sharp, go, javascript, php
 * and rust, which differ only in node types, in where a declaration or a for-each finds its
 * parts, in when a `for` starts its second pass, and in how an `if` merges states.
 */
export interface StatementLanguage {
  definition: { types: string[]; parts: Parts<'name' | 'value'> };
  assignment: string[];
  increment: string[];
  ifStatement: { types: string[]; alwaysKeepsOuterStates: boolean };
  forStatement: { types: string[]; startsSecondPass: (walk: DataflowWalk, child: number, scope: Scope, edges: DataflowEdge[]) => boolean };
  enhancedFor?: { types: string[]; parts: Parts<'name' | 'value' | 'body'> };
  whileStatement: string[];
}

export function statementRules(language: StatementLanguage): DataflowRules {
  const byType = new Map<string, Rule>();
  const add = (types: string[], rule: Rule) => types.forEach((type) => byType.set(type, rule));
  const { definition, forStatement, enhancedFor } = language;
  const ifShape = { branchTypes: new Set(language.ifStatement.types), laterChildrenAreBranches: true, alwaysKeepsOuterStates: language.ifStatement.alwaysKeepsOuterStates };
  add(definition.types, (walk, node, scope, out) => {
    const { name, value } = definition.parts(walk, node);
    walk.definition(name, value, scope, out);
  });
  add(language.assignment, (walk, node, scope, out) => walk.assignment(walk.field(node, 'left'), walk.field(node, 'right'), scope, out));
  add(language.increment, (walk, node, scope, out) => walk.increment(node, scope, out));
  add(language.ifStatement.types, (walk, node, scope, out) => walk.ifStatement(node, scope, out, ifShape));
  add(forStatement.types, (walk, node, scope, out) => walk.forStatement(node, scope, out, (child, s, edges) => forStatement.startsSecondPass(walk, child, s, edges)));
  if (enhancedFor) {
    add(enhancedFor.types, (walk, node, scope, out) => {
      const { name, value, body } = enhancedFor.parts(walk, node);
      walk.enhancedFor(name, value, body, scope, out);
    });
  }
  add(language.whileStatement, (walk, node, scope, out) => walk.twice(out, (edges) => walk.sequence(node, scope, edges)));
  return { byType };
}

/** Parts read from the node's fields (`child_by_field_name`). */
export function fieldParts<Names extends string>(fields: Record<Names, string>): Parts<Names> {
  const names = Object.keys(fields) as Names[];
  return (walk, node) => {
    const parts = {} as Record<Names, number | null>;
    for (const name of names) parts[name] = walk.field(node, fields[name]);
    return parts;
  };
}

/** The usual second-pass start: after the first child of `type` (the loop's initialiser). */
export function afterChildOfType(type: string): StatementLanguage['forStatement']['startsSecondPass'] {
  return (walk, child) => walk.tree.type[child] === type;
}

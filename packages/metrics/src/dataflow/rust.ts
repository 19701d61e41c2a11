import { dataflowExtractor } from './walk.js';
import { afterChildOfType, fieldParts, statementRules } from './statement-rules.js';

/**
 * CodeBLEU's `DFG_rust`. A `function_item` is read as "name = value" on its 2nd and 3rd children
 * (for `pub fn`: the keyword and the name) and its body is never visited; `let` is no rule.
 */
export const extractRustDataflow = dataflowExtractor(
  statementRules({
    definition: {
      types: ['function_item'],
      parts: (walk, node) => {
        const children = walk.children(node);
        return { name: children[1] ?? null, value: children.length >= 3 ? children[2] : null };
      },
    },
    assignment: ['assignment_expression', 'compound_assignment_expr', 'let_expression'],
    increment: [],
    ifStatement: { types: ['if_expression', 'if_let_expression', 'match_expression', 'else'], alwaysKeepsOuterStates: false },
    forStatement: { types: ['for_expression'], startsSecondPass: afterChildOfType('local_variable_declaration') },
    enhancedFor: { types: ['for_each_statement'], parts: fieldParts({ name: 'left', value: 'right', body: 'body' }) },
    whileStatement: ['while_expression', 'while_let_expression', 'loop_expression'],
  }),
);

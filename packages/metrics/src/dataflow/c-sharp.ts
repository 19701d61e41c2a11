import { dataflowExtractor } from './walk.js';
import { afterChildOfType, fieldParts, statementRules } from './statement-rules.js';

/**
 * CodeBLEU's `DFG_csharp`, which it also runs on c and cpp trees (where only the node types the
 * grammars share with C#'s get special handling). A declarator is `name value` when it has
 * exactly two children, else a bare name.
 */
export const extractCSharpDataflow = dataflowExtractor(
  statementRules({
    definition: {
      types: ['variable_declarator'],
      parts: (walk, node) => {
        const children = walk.children(node);
        return { name: children[0] ?? null, value: children.length === 2 ? children[1] : null };
      },
    },
    assignment: ['assignment_expression'],
    increment: ['postfix_unary_expression'],
    ifStatement: { types: ['if_statement', 'else'], alwaysKeepsOuterStates: false },
    forStatement: { types: ['for_statement'], startsSecondPass: afterChildOfType('local_variable_declaration') },
    enhancedFor: { types: ['for_each_statement'], parts: fieldParts({ name: 'left', value: 'right', body: 'body' }) },
    whileStatement: ['while_statement'],
  }),
);

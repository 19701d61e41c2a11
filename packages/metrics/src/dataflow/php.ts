import { dataflowExtractor, type DataflowWalk } from './walk.js';
import { afterChildOfType, fieldParts, statementRules } from './statement-rules.js';

/**
 * `foreach`: the first `$variable` child is the value iterated over and the second the loop
 * variable. Over anything but a plain variable the second is missing, and the reference raises.
 */
function foreachParts(walk: DataflowWalk, node: number) {
  const variables = walk.children(node).filter((child) => walk.tree.type[child] === 'variable_name');
  return { value: variables[0] ?? null, name: variables[1] ?? null, body: walk.field(node, 'body') };
}

/** CodeBLEU's `DFG_php`: leaves are `name`s, so only assignments and parameters define variables. */
export const extractPhpDataflow = dataflowExtractor(
  statementRules({
    definition: { types: ['simple_parameter'], parts: fieldParts({ name: 'name', value: 'default_value' }) },
    assignment: ['assignment_expression', 'augmented_assignment_expression'],
    increment: ['update_expression'],
    ifStatement: { types: ['if_statement', 'else_clause'], alwaysKeepsOuterStates: true },
    forStatement: { types: ['for_statement'], startsSecondPass: afterChildOfType('assignment_expression') },
    enhancedFor: { types: ['foreach_statement'], parts: foreachParts },
    whileStatement: ['while_statement'],
  }),
);

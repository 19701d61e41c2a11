import { dataflowExtractor } from './walk.js';
import { afterChildOfType, fieldParts, statementRules } from './statement-rules.js';

/** CodeBLEU's `DFG_javascript`: no for-each rule (`for … of`/`in` are plain nodes); plain `=` is not an assignment rule. */
export const extractJavascriptDataflow = dataflowExtractor(
  statementRules({
    definition: { types: ['variable_declarator'], parts: fieldParts({ name: 'name', value: 'value' }) },
    assignment: ['assignment_pattern', 'augmented_assignment_expression'],
    increment: ['update_expression'],
    ifStatement: { types: ['if_statement', 'else'], alwaysKeepsOuterStates: true },
    forStatement: { types: ['for_statement'], startsSecondPass: afterChildOfType('variable_declaration') },
    whileStatement: ['while_statement'],
  }),
);

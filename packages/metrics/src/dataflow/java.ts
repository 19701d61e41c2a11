import { dataflowExtractor } from './walk.js';
import { afterChildOfType, fieldParts, statementRules } from './statement-rules.js';

/** CodeBLEU's `DFG_java`. */
export const extractJavaDataflow = dataflowExtractor(
  statementRules({
    definition: { types: ['variable_declarator'], parts: fieldParts({ name: 'name', value: 'value' }) },
    assignment: ['assignment_expression'],
    increment: ['update_expression'],
    ifStatement: { types: ['if_statement', 'else'], alwaysKeepsOuterStates: false },
    forStatement: { types: ['for_statement'], startsSecondPass: afterChildOfType('local_variable_declaration') },
    enhancedFor: { types: ['enhanced_for_statement'], parts: fieldParts({ name: 'name', value: 'value', body: 'body' }) },
    whileStatement: ['while_statement'],
  }),
);

import { dataflowExtractor } from './walk.js';
import { fieldParts, statementRules } from './statement-rules.js';

/** CodeBLEU's `DFG_go`: a `for` clause's update is visited before the second pass over the loop's later children. */
export const extractGoDataflow = dataflowExtractor(
  statementRules({
    definition: { types: ['var_spec'], parts: fieldParts({ name: 'name', value: 'value' }) },
    assignment: ['assignment_statement'],
    increment: ['inc_statement'],
    ifStatement: { types: ['if_statement', 'else'], alwaysKeepsOuterStates: true },
    forStatement: {
      types: ['for_statement'],
      startsSecondPass: (walk, child, scope, edges) => {
        if (walk.tree.type[child] !== 'for_clause') return false;
        const update = walk.field(child, 'update');
        if (update !== null) walk.visit(update, scope, edges);
        return true;
      },
    },
    whileStatement: [],
  }),
);

import { CodeAnalyzer } from './analysis.js';
import { normalizeDataflow, type NormalizedEdge } from './dataflow.js';
import type { DataflowEdge } from './dataflow-types.js';
import { getLanguage } from './language.js';
import { collectSubtrees } from './syntax.js';

/** The intermediate values CodeBLEU's structural components are computed from, for one snippet. */
export interface CodeInspection {
  /** The text after comment and docstring removal. */
  cleaned: string;
  /** S-expressions of the collected subtrees, in pre-order. */
  subtrees: string[];
  /** Merged data-flow edges before normalisation. */
  dataflow: DataflowEdge[];
  normalizedDataflow: NormalizedEdge[];
}

/** Shows what syntax and data-flow match see for `code` (debugging and reports). */
export function inspectCode(code: string, lang = 'python'): CodeInspection {
  const analyzer = new CodeAnalyzer(getLanguage(lang));
  const cleaned = analyzer.language.removeComments(code);
  const tree = analyzer.parse(cleaned);
  const dataflow = analyzer.rawDataflow(tree);
  return {
    cleaned,
    subtrees: collectSubtrees(tree, analyzer.interner).map((id) => analyzer.interner.sexp(id)),
    dataflow,
    normalizedDataflow: normalizeDataflow(dataflow),
  };
}

export {
  calcCodeBleu,
  corpusDataflowMatch,
  corpusSyntaxMatch,
  DEFAULT_WEIGHTS,
  parserOf,
  type CodeBleuOptions,
  type CodeBleuScores,
  type CodeBleuWeights,
  type References,
} from './codebleu.js';
export { inspectCode, type CodeInspection } from './inspect.js';
export { availableLanguages, getLanguage, loadLanguage, registerLanguage, type CodeLanguage } from './language.js';
export { python } from './python/index.js';
export type { DataflowEdge, DefinitionStates, Relation } from './dataflow-types.js';
export { DataflowExtractionError } from './dataflow-types.js';
export type { FlatTree } from './tree.js';
export { loadWasmGrammar, type WasmGrammar } from './tree-sitter-wasm.js';
export type { NativeGrammar } from './native-tree-reader.js';
export type { TokenTable } from './tokens.js';
export { variableLeaves } from './tokens.js';
// pass@k is defined once, in @codistill/util (passAtK(n, c, k); meanPassAtK(problems, k)).
export { meanPassAtK, passAtK, type PassCounts } from '@codistill/util';
export {
  continuationPerplexity,
  perplexity,
  prefixTokenCount,
  questionPerplexity,
  type TokenLogprobScorer,
} from './perplexity.js';
export { JsonlInputError, readCodeJsonl, type CodeRecord } from './jsonl.js';
export { codeBleuFromJsonl, codeBleuReport, parseWeights, type CodeBleuLine, type CodeBleuReportOptions } from './report.js';

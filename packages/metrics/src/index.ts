export {
  calcCodeBleu,
  corpusDataflowMatch,
  corpusSyntaxMatch,
  DEFAULT_WEIGHTS,
  type CodeBleuOptions,
  type CodeBleuScores,
  type CodeBleuWeights,
  type References,
} from './codebleu.js';
export { inspectCode, type CodeInspection } from './inspect.js';
export { availableLanguages, getLanguage, registerLanguage, type CodeLanguage } from './language.js';
export { python } from './python/index.js';
export type { DataflowEdge, DefinitionStates, Relation } from './dataflowTypes.js';
export { DataflowExtractionError } from './dataflowTypes.js';
export type { FlatTree } from './tree.js';
export { loadWasmGrammar, type WasmGrammar } from './treeSitterWasm.js';
export type { TokenTable } from './tokens.js';
export { variableLeaves } from './tokens.js';
export { passAtK, meanPassAtK } from './passAtK.js';
export {
  continuationPerplexity,
  perplexity,
  prefixTokenCount,
  questionPerplexity,
  type TokenLogprobScorer,
} from './perplexity.js';
export { JsonlInputError, readCodeJsonl, type CodeRecord } from './jsonl.js';
export { codeBleuFromJsonl, codeBleuReport, parseWeights, type CodeBleuLine, type CodeBleuReportOptions } from './report.js';

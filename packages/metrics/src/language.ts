import type { DataflowEdge } from './dataflow-types.js';
import type { TokenTable } from './tokens.js';
import type { FlatTree } from './tree.js';
import type { WasmGrammar } from './tree-sitter-wasm.js';

/**
 * Everything CodeBLEU needs to know about one programming language. Python is built in; other
 * tree-sitter grammars are added by implementing this and calling `registerLanguage`.
 */
export interface CodeLanguage {
  /** The name used in options and on the command line, e.g. `python`. */
  readonly name: string;
  /** The grammar's WASM build (`tree-sitter-<lang>.wasm`) as `loadWasmGrammar` loads it. */
  readonly grammar: WasmGrammar;
  /** Keywords weighted 1 (instead of 0.2) in the weighted n-gram match. */
  readonly keywords: readonly string[];
  /** Node types taken as one token even though they have children (string literals). */
  readonly singleTokenTypes: ReadonlySet<string>;
  /** The reference's `remove_comments_and_docstrings` for this language. */
  removeComments(code: string): string;
  /** The reference's `DFG_<lang>` edge extraction; may throw DataflowExtractionError. */
  extractDataflow(tree: FlatTree, tokens: TokenTable): DataflowEdge[];
}

const languages = new Map<string, CodeLanguage>();

export function registerLanguage(language: CodeLanguage): void {
  languages.set(language.name, language);
}

export function getLanguage(name: string): CodeLanguage {
  const language = languages.get(name);
  if (!language) {
    throw new Error(`Unsupported language "${name}"; available: ${[...languages.keys()].join(', ')}`);
  }
  return language;
}

export function availableLanguages(): string[] {
  return [...languages.keys()];
}

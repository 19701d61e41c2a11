import { isLoadable, loadBuiltinLanguage, REFERENCE_LANGUAGES } from './builtin-languages.js';
import type { DataflowEdge } from './dataflow-types.js';
import type { NativeGrammar } from './native-tree-reader.js';
import type { TokenTable } from './tokens.js';
import type { FlatTree } from './tree.js';
import type { WasmGrammar } from './tree-sitter-wasm.js';

/**
 * Everything CodeBLEU needs to know about one programming language. The reference's ten are
 * built in (each loaded on first use by `loadLanguage`); other tree-sitter
 * grammars are added by implementing this and calling `registerLanguage`.
 */
export interface CodeLanguage {
  /** The name used in options and on the command line, e.g. `python`. */
  readonly name: string;
  /** The grammar's WASM build (`tree-sitter-<lang>.wasm`) as `loadWasmGrammar` loads it. */
  readonly grammar: WasmGrammar;
  /**
   * The same grammar's native build (its package's Node binding `language`), parsed with the
   * native parser where that is built; without it, or when absent, `grammar` parses.
   */
  readonly nativeGrammar?: NativeGrammar;
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
const loading = new Map<string, Promise<CodeLanguage>>();

export function registerLanguage(language: CodeLanguage): void {
  languages.set(language.name, language);
}

/** The language, which must be loaded already (see `loadLanguage`). */
export function getLanguage(name: string): CodeLanguage {
  const language = languages.get(name);
  if (language) return language;
  if (isLoadable(name)) {
    throw new Error(`Language "${name}" is not loaded yet: await loadLanguage('${name}') before scoring it (grammars load on first use)`);
  }
  throw unsupported(name);
}

/**
 * Loads a built-in language's grammar once (only that one: scoring Java loads no other grammar)
 * and registers it; resolves to the registered language.
 */
export function loadLanguage(name: string): Promise<CodeLanguage> {
  const registered = languages.get(name);
  if (registered) return Promise.resolve(registered);
  if (!isLoadable(name)) return Promise.reject(unsupported(name));
  let pending = loading.get(name);
  if (!pending) {
    pending = loadBuiltinLanguage(name).then((language) => {
      registerLanguage(language);
      return language;
    });
    loading.set(name, pending);
  }
  return pending;
}

/** Every language `loadLanguage` or `getLanguage` accepts: the built-in ones and any registered. */
export function availableLanguages(): string[] {
  return [...new Set([...REFERENCE_LANGUAGES, ...languages.keys()])];
}

function unsupported(name: string): Error {
  return new Error(`Unsupported language "${name}"; supported: ${availableLanguages().join(', ')}`);
}

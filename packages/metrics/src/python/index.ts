import { createRequire } from 'node:module';
import type { CodeLanguage } from '../language.js';
import { removePythonCommentsAndDocstrings } from './comments.js';
import { extractPythonDataflow } from './dataflow.js';
import { PYTHON_KEYWORDS } from './keywords.js';
import { REFERENCE_SINGLE_TOKEN_TYPES } from '../tokens.js';
import { loadNativeGrammar, type NativeGrammar } from '../native-tree-reader.js';
import { loadWasmGrammar, type WasmGrammar } from '../tree-sitter-wasm.js';

let grammar: WasmGrammar | undefined;
let nativeGrammar: NativeGrammar | undefined;
let loading: Promise<CodeLanguage> | undefined;

/**
 * Python. Its grammar is loaded on first use like every other language's (no top-level await,
 * so that the package also loads with `require`): `await loadLanguage('python')` before reading
 * `python.grammar` or scoring python code.
 */
export const python: CodeLanguage = {
  name: 'python',
  get grammar(): WasmGrammar {
    if (!grammar) throw new Error(`Language "python" is not loaded yet: await loadLanguage('python') before scoring it (grammars load on first use)`);
    return grammar;
  },
  get nativeGrammar(): NativeGrammar | undefined {
    return nativeGrammar;
  },
  keywords: PYTHON_KEYWORDS,
  // The reference's generic leaf rule names all three; only `string` occurs in Python.
  singleTokenTypes: REFERENCE_SINGLE_TOKEN_TYPES,
  removeComments: removePythonCommentsAndDocstrings,
  extractDataflow: extractPythonDataflow,
};

/** Loads python's grammar once (the WASM build inside the pinned tree-sitter-python package); resolves to `python`. */
export function loadPython(): Promise<CodeLanguage> {
  loading ??= (async () => {
    const grammarFile = createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm');
    grammar = await loadWasmGrammar(grammarFile);
    nativeGrammar = loadNativeGrammar('tree-sitter-python');
    return python;
  })();
  return loading;
}

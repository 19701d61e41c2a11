import { createRequire } from 'node:module';
import type { CodeLanguage } from '../language.js';
import { removePythonCommentsAndDocstrings } from './comments.js';
import { extractPythonDataflow } from './dataflow.js';
import { PYTHON_KEYWORDS } from './keywords.js';
import { REFERENCE_SINGLE_TOKEN_TYPES } from '../tokens.js';
import { loadWasmGrammar } from '../tree-sitter-wasm.js';

// The grammar's WASM build ships inside the pinned tree-sitter-python package.
const grammarFile = createRequire(import.meta.url).resolve('tree-sitter-python/tree-sitter-python.wasm');

export const python: CodeLanguage = {
  name: 'python',
  grammar: await loadWasmGrammar(grammarFile),
  keywords: PYTHON_KEYWORDS,
  // The reference's generic leaf rule names all three; only `string` occurs in Python.
  singleTokenTypes: REFERENCE_SINGLE_TOKEN_TYPES,
  removeComments: removePythonCommentsAndDocstrings,
  extractDataflow: extractPythonDataflow,
};

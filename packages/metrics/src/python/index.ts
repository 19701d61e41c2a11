import Python from 'tree-sitter-python';
import type { CodeLanguage } from '../language.js';
import { removePythonCommentsAndDocstrings } from './comments.js';
import { extractPythonDataflow } from './dataflow.js';
import { PYTHON_KEYWORDS } from './keywords.js';

export const python: CodeLanguage = {
  name: 'python',
  grammar: Python,
  keywords: PYTHON_KEYWORDS,
  // The reference's generic leaf rule names all three; only `string` occurs in Python.
  singleTokenTypes: new Set(['string', 'string_literal', 'character_literal']),
  removeComments: removePythonCommentsAndDocstrings,
  extractDataflow: extractPythonDataflow,
};

import { pyIsBlank } from '../pythonText.js';
import { PythonTokenizeError, tokenizePython } from './tokenizer.js';

/**
 * CodeBLEU's `remove_comments_and_docstrings(source, 'python')`: rebuilds the text from Python
 * tokens, dropping comments and "docstrings" (any string token right after an INDENT or NEWLINE,
 * or starting at column 0), then drops blank lines. Where Python's tokenizer raises, CodeBLEU
 * keeps the text unchanged, and so does this.
 */
export function removePythonCommentsAndDocstrings(source: string): string {
  let tokens;
  try {
    tokens = tokenizePython(source);
  } catch (error) {
    if (error instanceof PythonTokenizeError) return source;
    throw error;
  }
  let out = '';
  let previousType = 'INDENT';
  let lastRow = -1;
  let lastCol = 0;
  for (const token of tokens) {
    if (token.startRow > lastRow) lastCol = 0;
    if (token.startCol > lastCol) out += ' '.repeat(token.startCol - lastCol);
    if (token.type === 'STRING') {
      if (previousType !== 'INDENT' && previousType !== 'NEWLINE' && token.startCol > 0) out += token.text;
    } else if (token.type !== 'COMMENT') {
      out += token.text;
    }
    previousType = token.type;
    lastCol = token.endCol;
    lastRow = token.endRow;
  }
  return out
    .split('\n')
    .filter((line) => !pyIsBlank(line))
    .join('\n');
}

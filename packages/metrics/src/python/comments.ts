import { dropBlankLines } from '../python-text.js';
import { tokenizePython } from './tokenizer.js';

/**
 * CodeBLEU's `remove_comments_and_docstrings(source, 'python')`: rebuilds the text from Python
 * tokens, dropping comments and "docstrings" (any string token right after an INDENT or NEWLINE,
 * or starting at column 0), then drops blank lines. Where Python's tokenizer raises, CodeBLEU
 * keeps the text unchanged, and so does this.
 */
export function removePythonCommentsAndDocstrings(source: string): string {
  return NEEDS_TOKENIZER.test(source) ? rebuildFromTokens(source) : withoutBlankLines(source);
}

/** removePythonCommentsAndDocstrings through Python's tokenizer, for any text. */
export function rebuildFromTokens(source: string): string {
  const tokens = tokenizePython(source);
  if (!tokens) return source;
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
  return dropBlankLines(out);
}

/**
 * Printable ASCII text without these characters has no comments, strings, continuation
 * lines, tabs or carriage returns: Python's tokenizer splits it into names, numbers, operators,
 * newlines and indentation (and error tokens) that rebuild the text exactly, so only the
 * blank lines go, and tokenizing it (most of the cost of comment removal) can be skipped.
 */
const NEEDS_TOKENIZER = /[^\x20-\x7e\n]|[#'"\\]/;

/**
 * The result of removePythonCommentsAndDocstrings for text NEEDS_TOKENIZER passes: without
 * blank lines, or unchanged where the tokenizer would raise (a dedent to a column no outer
 * line has, or brackets still open, or closed too often, at the end).
 */
function withoutBlankLines(source: string): string {
  const indents = [0];
  let depth = 0;
  for (let lineStart = 0; lineStart < source.length; ) {
    let lineEnd = source.indexOf('\n', lineStart);
    if (lineEnd < 0) lineEnd = source.length;
    if (depth === 0) {
      let first = lineStart;
      while (first < lineEnd && source.charCodeAt(first) === 0x20) first++;
      // Blank lines and lines inside brackets do not change the indentation.
      if (first < lineEnd) {
        const column = first - lineStart;
        if (column > indents[indents.length - 1]) indents.push(column);
        while (column < indents[indents.length - 1]) {
          if (!indents.includes(column)) return source;
          indents.pop();
        }
      }
    }
    for (let i = lineStart; i < lineEnd; i++) {
      const code = source.charCodeAt(i);
      if (code === 0x28 || code === 0x5b || code === 0x7b) depth++;
      else if (code === 0x29 || code === 0x5d || code === 0x7d) depth--;
    }
    lineStart = lineEnd + 1;
  }
  return depth === 0 ? dropBlankLines(source) : source;
}

import { dropBlankLines } from './python-text.js';

/**
 * The reference's one regex for every language but Python and Ruby: a `//` comment to the end
 * of the line, a `/* … *\/` comment, or a single- or double-quoted string (kept, so a `//` inside
 * it survives). Python's `.` under DOTALL and its MULTILINE `$` (only before `\n`) are spelled
 * out: JavaScript's `$` would also stop at `\r`. Back-quoted strings are unknown to it, so `//`
 * in a Go raw string or a JS template cuts the line, as in the reference.
 */
const COMMENT_OR_STRING = /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:\\[\s\S]|[^\\'])*'|"(?:\\[\s\S]|[^\\"])*"/g;

/** `remove_comments_and_docstrings` for C-like languages: comments become a space, then blank lines go. */
export function removeCStyleComments(source: string): string {
  // Every comment starts with a slash; without one the pattern would only keep strings as they are.
  const uncommented = source.includes('/') ? source.replace(COMMENT_OR_STRING, (match) => (match.startsWith('/') ? ' ' : match)) : source;
  return dropBlankLines(uncommented);
}

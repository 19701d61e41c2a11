// A TypeScript port of the behaviour of CPython 3.11's pure-Python `tokenize.generate_tokens`.
// CodeBLEU's comment removal rebuilds the text from these tokens, so every quirk that changes
// the rebuilt text (positions, ERRORTOKENs, the implicit final NEWLINE, which inputs raise)
// must be reproduced. Python 3.12 switched to the C tokenizer and changed f-string tokens;
// the reference numbers were produced with 3.11, so 3.11 is what this follows.

export type TokenType =
  | 'NAME'
  | 'NUMBER'
  | 'STRING'
  | 'OP'
  | 'COMMENT'
  | 'NL'
  | 'NEWLINE'
  | 'INDENT'
  | 'DEDENT'
  | 'ERRORTOKEN'
  | 'ENDMARKER';

/** Rows are 1-based and columns are UTF-16 code units within the row, as in Python minus astral width. */
export interface Token {
  type: TokenType;
  text: string;
  startRow: number;
  startCol: number;
  endRow: number;
  endCol: number;
}


const TAB_SIZE = 8;

const STRING_PREFIX = allStringPrefixes();
// Python's `.` never matches a newline: `[^\n]` stands in for it (JS `.` also skips `\r`).
const QUOTE_SINGLE_TAIL = String.raw`[^'\\]*(?:\\[^\n][^'\\]*)*'`;
const QUOTE_DOUBLE_TAIL = String.raw`[^"\\]*(?:\\[^\n][^"\\]*)*"`;
const TRIPLE_SINGLE_TAIL = String.raw`[^'\\]*(?:(?:\\[^\n]|'(?!''))[^'\\]*)*'''`;
const TRIPLE_DOUBLE_TAIL = String.raw`[^"\\]*(?:(?:\\[^\n]|"(?!""))[^"\\]*)*"""`;

const NUMBER = (() => {
  const digits = String.raw`[0-9](?:_?[0-9])*`;
  const exponent = String.raw`[eE][-+]?${digits}`;
  const pointFloat = String.raw`(?:${digits}\.(?:${digits})?|\.${digits})(?:${exponent})?`;
  const floatNumber = String.raw`(?:${pointFloat}|${digits}${exponent})`;
  const imagNumber = String.raw`(?:${digits}[jJ]|${floatNumber}[jJ])`;
  const intNumber = String.raw`(?:0[xX](?:_?[0-9a-fA-F])+|0[bB](?:_?[01])+|0[oO](?:_?[0-7])+|(?:0(?:_?0)*|[1-9](?:_?[0-9])*))`;
  return `(?:${imagNumber}|${floatNumber}|${intNumber})`;
})();

// Longest operators first so that `==` is not read as two `=` (3.11's EXACT_TOKEN_TYPES).
const OPERATORS = [
  '**=', '...', '//=', '<<=', '>>=', '!=', '%=', '&=', '**', '*=', '+=', '-=', '->', '//', '/=', ':=',
  '<<', '<=', '==', '>=', '>>', '@=', '^=', '|=', '%', '&', '(', ')', '*', '+', ',', '-', '.', '/',
  ':', ';', '<', '=', '>', '@', '[', ']', '^', '{', '|', '}', '~',
];
const SPECIAL = `(?:${OPERATORS.map(escapeRegExp).join('|')})`;
const PREFIX = `(?:${STRING_PREFIX.join('|')})`;
const CONT_STR =
  `(?:${PREFIX}'[^\\n'\\\\]*(?:\\\\[^\\n][^\\n'\\\\]*)*(?:'|\\\\\\r?\\n)` +
  `|${PREFIX}"[^\\n"\\\\]*(?:\\\\[^\\n][^\\n"\\\\]*)*(?:"|\\\\\\r?\\n))`;
const PSEUDO_EXTRAS = `(?:\\\\\\r?\\n|$|#[^\\r\\n]*|${PREFIX}'''|${PREFIX}""")`;
// Python's `\w` on str: letters, numbers and `_` (no combining marks).
const NAME = String.raw`[\p{L}\p{N}_]+`;
const PSEUDO_TOKEN = new RegExp(
  `[ \\f\\t]*(${PSEUDO_EXTRAS}|${NUMBER}|(?:\\r?\\n|${SPECIAL})|${CONT_STR}|${NAME})`,
  'uy',
);
const END_PATTERNS: Record<string, RegExp> = {
  "'": new RegExp(QUOTE_SINGLE_TAIL, 'uy'),
  '"': new RegExp(QUOTE_DOUBLE_TAIL, 'uy'),
  "'''": new RegExp(TRIPLE_SINGLE_TAIL, 'uy'),
  '"""': new RegExp(TRIPLE_DOUBLE_TAIL, 'uy'),
};
const SINGLE_QUOTED = new Set(STRING_PREFIX.flatMap((p) => [`${p}'`, `${p}"`]));
const TRIPLE_QUOTED = new Set(STRING_PREFIX.flatMap((p) => [`${p}'''`, `${p}"""`]));
const IDENTIFIER_START = /^[\p{ID_Start}_]/u;

function allStringPrefixes(): string[] {
  const result = new Set<string>(['']);
  for (const prefix of ['b', 'r', 'u', 'f', 'br', 'fr']) {
    const orders = prefix.length === 2 ? [prefix, prefix[1] + prefix[0]] : [prefix];
    for (const order of orders) {
      for (const cased of caseVariants(order)) result.add(cased);
    }
  }
  return [...result];
}

function caseVariants(text: string): string[] {
  if (text === '') return [''];
  const rest = caseVariants(text.slice(1));
  return rest.flatMap((tail) => [text[0] + tail, text[0].toUpperCase() + tail]);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Lines as `io.StringIO(source).readline` returns them: split after each `\n`, kept. */
function splitLinesKeepEnds(source: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const newline = source.indexOf('\n', start);
    if (newline < 0) break;
    lines.push(source.slice(start, newline + 1));
    start = newline + 1;
  }
  if (start < source.length) lines.push(source.slice(start));
  return lines;
}

function matchAt(pattern: RegExp, text: string, position: number): RegExpExecArray | null {
  pattern.lastIndex = position;
  return pattern.exec(text);
}

/** Whether an identifier starts at `position` (ASCII answered without the Unicode regex). */
function startsIdentifier(line: string, position: number): boolean {
  const code = line.charCodeAt(position);
  if (code < 0x80) return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a) || code === 0x5f;
  return IDENTIFIER_START.test(String.fromCodePoint(line.codePointAt(position) ?? 0));
}

// A function rather than a closure inside tokenizePython: one allocation less per call.
function addToken(tokens: Token[], type: TokenType, text: string, startRow: number, startCol: number, endRow: number, endCol: number): void {
  tokens.push({ type, text, startRow, startCol, endRow, endCol });
}

function skipBlanks(line: string, position: number): number {
  while (line[position] === ' ' || line[position] === '\t' || line[position] === '\f') position += 1;
  return position;
}

/**
 * End of the plain ASCII name starting at `start`, or -1. Most tokens are such names, and
 * reading them here gives what PSEUDO_TOKEN would without running it; where the name runs
 * into a quote (a string prefix) or a non-ASCII character (a longer name), PSEUDO_TOKEN decides.
 */
function asciiNameEnd(line: string, start: number): number {
  let code = line.charCodeAt(start);
  if (!(isAsciiLetter(code) || code === 0x5f)) return -1;
  let end = start;
  do code = line.charCodeAt(++end);
  while (isAsciiLetter(code) || code === 0x5f || (code >= 0x30 && code <= 0x39));
  return code === 0x27 || code === 0x22 || code >= 0x80 ? -1 : end;
}

// Operators by their first character's code, longest first (as OPERATORS lists them).
const OPERATORS_BY_FIRST: string[][] = [];
for (const operator of OPERATORS) (OPERATORS_BY_FIRST[operator.charCodeAt(0)] ??= []).push(operator);
const NO_OPERATORS: string[] = [];

/**
 * End of the operator starting at `start`, or -1, as PSEUDO_TOKEN reads it (its operators are
 * listed longest first, so the longest one wins) without running it. `.` is left to
 * PSEUDO_TOKEN, since it can start a number.
 */
export function operatorEnd(line: string, start: number): number {
  const first = line.charCodeAt(start);
  if (first === 0x2e) return -1;
  for (const operator of OPERATORS_BY_FIRST[first] ?? NO_OPERATORS) if (line.startsWith(operator, start)) return start + operator.length;
  return -1;
}

function bracketDepthChange(initial: string): number {
  if (initial === '(' || initial === '[' || initial === '{') return 1;
  return initial === ')' || initial === ']' || initial === '}' ? -1 : 0;
}

/** The token PSEUDO_TOKEN reads at `position` (after blanks), or null; exported for tests. */
export function pseudoTokenAt(line: string, position: number): string | null {
  const match = matchAt(PSEUDO_TOKEN, line, position);
  return match ? match[1] : null;
}

function isAsciiLetter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}

function codePointLength(text: string, position: number): number {
  const code = text.charCodeAt(position);
  return code >= 0xd800 && code <= 0xdbff && position + 1 < text.length ? 2 : 1;
}

/**
 * Tokenizes `source` like CPython 3.11; null where CPython raises (TokenError or
 * IndentationError; comment removal then keeps the raw text). Such text is common in model
 * output, so that is a result rather than an exception, whose stack trace would cost more than
 * the tokenizing.
 */
export function tokenizePython(source: string): Token[] | null {
  const tokens: Token[] = [];
  const lines = splitLinesKeepEnds(source);
  const indents = [0];
  let parenDepth = 0;
  let continued = false;
  let continuedString = '';
  let needContinuation = false;
  let stringStart = { row: 0, col: 0 };
  let endPattern: RegExp = END_PATTERNS['"'];
  let lineNumber = 0;
  let lastLine = '';
  let line = '';

  for (;;) {
    lastLine = line;
    line = lineNumber < lines.length ? lines[lineNumber] : '';
    lineNumber += 1;
    let position = 0;
    const lineEnd = line.length;

    if (continuedString) {
      if (!line) return null; // TokenError: EOF in multi-line string
      const endMatch = matchAt(endPattern, line, 0);
      if (endMatch) {
        position = endMatch[0].length;
        addToken(tokens, 'STRING', continuedString + line.slice(0, position), stringStart.row, stringStart.col, lineNumber, position);
        continuedString = '';
        needContinuation = false;
      } else if (needContinuation && !line.endsWith('\\\n') && !line.endsWith('\\\r\n')) {
        addToken(tokens, 'ERRORTOKEN', continuedString + line, stringStart.row, stringStart.col, lineNumber, line.length);
        continuedString = '';
        continue;
      } else {
        continuedString += line;
        continue;
      }
    } else if (parenDepth === 0 && !continued) {
      if (!line) break;
      let column = 0;
      while (position < lineEnd) {
        const char = line[position];
        if (char === ' ') column += 1;
        else if (char === '\t') column = (Math.floor(column / TAB_SIZE) + 1) * TAB_SIZE;
        else if (char === '\f') column = 0;
        else break;
        position += 1;
      }
      if (position === lineEnd) break;
      const first = line[position];
      if (first === '#' || first === '\r' || first === '\n') {
        if (first === '#') {
          const comment = line.slice(position).replace(/[\r\n]+$/, '');
          addToken(tokens, 'COMMENT', comment, lineNumber, position, lineNumber, position + comment.length);
          position += comment.length;
        }
        addToken(tokens, 'NL', line.slice(position), lineNumber, position, lineNumber, line.length);
        continue;
      }
      if (column > indents[indents.length - 1]) {
        indents.push(column);
        addToken(tokens, 'INDENT', line.slice(0, position), lineNumber, 0, lineNumber, position);
      }
      while (column < indents[indents.length - 1]) {
        // IndentationError: unindent does not match any outer indentation level
        if (!indents.includes(column)) return null;
        indents.pop();
        addToken(tokens, 'DEDENT', '', lineNumber, position, lineNumber, position);
      }
    } else {
      if (!line) return null; // TokenError: EOF in multi-line statement
      continued = false;
    }

    while (position < lineEnd) {
      const nameStart = skipBlanks(line, position);
      const nameEnd = asciiNameEnd(line, nameStart);
      if (nameEnd >= 0) {
        addToken(tokens, 'NAME', line.slice(nameStart, nameEnd), lineNumber, nameStart, lineNumber, nameEnd);
        position = nameEnd;
        continue;
      }
      const opEnd = operatorEnd(line, nameStart);
      if (opEnd >= 0) {
        parenDepth += bracketDepthChange(line[nameStart]);
        addToken(tokens, 'OP', line.slice(nameStart, opEnd), lineNumber, nameStart, lineNumber, opEnd);
        position = opEnd;
        continue;
      }
      const pseudo = matchAt(PSEUDO_TOKEN, line, position);
      if (!pseudo) {
        const width = codePointLength(line, position);
        addToken(tokens, 'ERRORTOKEN', line.slice(position, position + width), lineNumber, position, lineNumber, position + width);
        position += width;
        continue;
      }
      const end = position + pseudo[0].length;
      const start = end - pseudo[1].length;
      position = end;
      if (start === end) continue;
      let token = line.slice(start, end);
      const initial = line[start];

      if ((initial >= '0' && initial <= '9') || (initial === '.' && token !== '.' && token !== '...')) {
        addToken(tokens, 'NUMBER', token, lineNumber, start, lineNumber, end);
      } else if (initial === '\r' || initial === '\n') {
        addToken(tokens, parenDepth > 0 ? 'NL' : 'NEWLINE', token, lineNumber, start, lineNumber, end);
      } else if (initial === '#') {
        addToken(tokens, 'COMMENT', token, lineNumber, start, lineNumber, end);
      } else if (TRIPLE_QUOTED.has(token)) {
        endPattern = END_PATTERNS[token.slice(-3)];
        const endMatch = matchAt(endPattern, line, position);
        if (endMatch) {
          position += endMatch[0].length;
          token = line.slice(start, position);
          addToken(tokens, 'STRING', token, lineNumber, start, lineNumber, position);
        } else {
          stringStart = { row: lineNumber, col: start };
          continuedString = line.slice(start);
          break;
        }
      } else if (SINGLE_QUOTED.has(initial) || SINGLE_QUOTED.has(token.slice(0, 2)) || SINGLE_QUOTED.has(token.slice(0, 3))) {
        if (token.endsWith('\n')) {
          stringStart = { row: lineNumber, col: start };
          const quote = [initial, token[1], token[2]].find((c) => c === "'" || c === '"') ?? '"';
          endPattern = END_PATTERNS[quote];
          continuedString = line.slice(start);
          needContinuation = true;
          break;
        }
        addToken(tokens, 'STRING', token, lineNumber, start, lineNumber, end);
      } else if (startsIdentifier(line, start)) {
        addToken(tokens, 'NAME', token, lineNumber, start, lineNumber, end);
      } else if (initial === '\\') {
        continued = true;
      } else {
        parenDepth += bracketDepthChange(initial);
        addToken(tokens, 'OP', token, lineNumber, start, lineNumber, end);
      }
    }
  }

  if (lastLine && !lastLine.endsWith('\r') && !lastLine.endsWith('\n') && !lastLine.trim().startsWith('#')) {
    addToken(tokens, 'NEWLINE', '', lineNumber - 1, lastLine.length, lineNumber - 1, lastLine.length + 1);
  }
  for (let i = 1; i < indents.length; i++) addToken(tokens, 'DEDENT', '', lineNumber, 0, lineNumber, 0);
  addToken(tokens, 'ENDMARKER', '', lineNumber, 0, lineNumber, 0);
  return tokens;
}

import { mulberry32 } from '@codistill/util';
import { rebuildFromTokens, removePythonCommentsAndDocstrings } from '../src/python/comments.js';
import { operatorEnd, pseudoTokenAt } from '../src/python/tokenizer.js';
import { dropBlankLines, pySplit, pyStrip } from '../src/python-text.js';

// Text without comments, strings, backslashes, tabs or other control characters skips Python's
// tokenizer; these tests check that the shortcut gives what the tokenizer gives.

const PIECES = [
  'x', 'y1', 'total', '42', '3.5', '1e3', '0x1f', '(', ')', '[', ']', '{', '}', ':', '=', '+=', ',', '.', '->',
  ' ', '  ', '\n', '\n    ', '\n  ', '\n        ', '\n\n', '   \n', '$', '?', '!', '`', 'if x:', 'else:', 'def f(a):',
];

function randomSnippet(next: () => number): string {
  let text = '';
  const pieces = 1 + Math.floor(next() * 40);
  for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(next() * PIECES.length)];
  return text;
}

test('the shortcut equals the tokenizer on 5,000 random snippets of names, numbers, brackets and indentation', () => {
  const next = mulberry32(20261123); // seeded, so that a failure names a reproducible case
  let raising = 0;
  for (let i = 0; i < 5000; i++) {
    const snippet = randomSnippet(next);
    const expected = rebuildFromTokens(snippet);
    if (expected === snippet) raising++;
    expect({ snippet, cleaned: removePythonCommentsAndDocstrings(snippet) }).toEqual({ snippet, cleaned: expected });
  }
  // Both outcomes occur: texts the tokenizer rejects (kept as they are) and texts it cleans.
  expect(raising).toBeGreaterThan(100);
  expect(raising).toBeLessThan(4900);
});

test.each([
  ['blank lines go', 'def f(a):\n\n    return a\n   \n', 'def f(a):\n    return a'],
  ['a dedent to an unknown column keeps the text', 'if x:\n    y\n  z\n\n', 'if x:\n    y\n  z\n\n'],
  ['an unclosed bracket keeps the text', 'x = (1,\n\n2', 'x = (1,\n\n2'],
  ['a bracket closed too often keeps the text', 'x = 1)\n\ny = 2', 'x = 1)\n\ny = 2'],
  ['indentation inside brackets is not indentation', 'x = [\n  1,\n      2]\ny = x', 'x = [\n  1,\n      2]\ny = x'],
  ['empty text', '', ''],
])('%s', (_name, source, cleaned) => {
  expect(removePythonCommentsAndDocstrings(source)).toBe(cleaned);
  expect(rebuildFromTokens(source)).toBe(cleaned);
});

test('operators are read as the pseudo-token pattern reads them, at every position of operator-heavy text', () => {
  const next = mulberry32(7);
  const alphabet = '()[]{}:;,.+-*/%&|^~<>=!@ x1#\'"\\\n';
  let operators = 0;
  for (let i = 0; i < 2000; i++) {
    let line = '';
    for (let c = 0; c < 12; c++) line += alphabet[Math.floor(next() * alphabet.length)];
    line += '\n';
    for (let position = 0; position < line.length; position++) {
      const end = operatorEnd(line, position);
      if (end < 0) continue;
      operators++;
      expect({ line, position, token: line.slice(position, end) }).toEqual({ line, position, token: pseudoTokenAt(line, position) });
    }
  }
  expect(operators).toBeGreaterThan(10000);
});

// Python's `str.isspace` characters, as a pattern: the hand-written checks in python-text.ts must agree with it.
// eslint-disable-next-line no-control-regex
const PY_SPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const PY_SPACE_RUNS = new RegExp(`${PY_SPACE.source}+`);

test('strip, split and blank-line removal follow str.isspace on 5,000 random texts', () => {
  const next = mulberry32(424242);
  const alphabet = ['a', 'b', 'x1', ' ', '\t', '\n', '\r', '\x0b', '\x0c', '\x1c', '\x1f', '\x85', '\xa0', '\u2003', '\u3000', '\ufeff', '\u200b', '\ud83d\ude00', '\u1680'];
  for (let i = 0; i < 5000; i++) {
    let text = '';
    const pieces = Math.floor(next() * 20);
    for (let c = 0; c < pieces; c++) text += alphabet[Math.floor(next() * alphabet.length)];
    const isBlank = (line: string) => [...line].every((character) => PY_SPACE.test(character));
    const stripped = text.replace(new RegExp(`^${PY_SPACE.source}+`), '').replace(new RegExp(`${PY_SPACE.source}+$`), '');
    expect({ text, result: pyStrip(text) }).toEqual({ text, result: stripped });
    expect({ text, result: pySplit(text) }).toEqual({ text, result: text.split(PY_SPACE_RUNS).filter((piece) => piece !== '') });
    const unblank = text.split('\n').filter((line) => !isBlank(line)).join('\n');
    expect({ text, result: dropBlankLines(text) }).toEqual({ text, result: unblank });
  }
});

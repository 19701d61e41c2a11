import { mulberry32 } from '@codistill/util';
import { rebuildFromTokens, removePythonCommentsAndDocstrings } from '../src/python/comments.js';
import { operatorEnd, pseudoTokenAt } from '../src/python/tokenizer.js';

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

import { calcCodeBleu, corpusDataflowMatch, corpusSyntaxMatch } from '../src/index.js';

test('deeply nested code: syntax match works, data flow is empty like the reference past its recursion limit', () => {
  const code = 'x = ' + '('.repeat(20000) + 'y' + ')'.repeat(20000);
  expect(corpusSyntaxMatch([[code]], [code])).toBe(1);
  expect(corpusDataflowMatch([[code]], [code])).toBe(0);
});

test('nesting below the limit keeps its data flow', () => {
  const code = 'y = 1\nx = ' + '('.repeat(100) + 'y' + ')'.repeat(100);
  expect(corpusDataflowMatch([[code]], [code])).toBe(1);
});

test('a megabyte of code scores without trouble', () => {
  const line = 'values = [' + Array.from({ length: 50 }, (_, i) => `item_${i} * ${i}`).join(', ') + ']\n';
  const code = line.repeat(Math.ceil(1_000_000 / line.length));
  expect(code.length).toBeGreaterThan(1_000_000);
  const scores = calcCodeBleu([code], [code]);
  expect(scores.syntax_match_score).toBe(1);
  expect(scores.dataflow_match_score).toBe(1);
});

test('garbage, unbalanced and binary-looking text give scores, not crashes', () => {
  for (const code of ['$$$ ??? @@@', 'def f(:\n  return ((', '\u0000\u0001\u0002', "s = '''never closed", '\t\t\n  x\n\ty', 'x = "héllo wörld 🙂"; y = x']) {
    const scores = calcCodeBleu([code], [code]);
    for (const value of Object.values(scores)) expect(Number.isFinite(value)).toBe(true);
  }
});

test('a lone surrogate cannot be encoded as UTF-8 and is a clear error', () => {
  expect(() => corpusSyntaxMatch([['x = "\ud800"']], ['x = 1'])).toThrow(/lone UTF-16 surrogate/);
});

import { CodeAnalyzer } from '../src/analysis.js';
import { calcCodeBleu, corpusDataflowMatch, corpusSyntaxMatch, getLanguage } from '../src/index.js';
import { goldenPairs } from './golden.js';

const byId = new Map(goldenPairs.map((pair) => [pair.id, pair]));
const pair = (id: string) => byId.get(id)!;

describe('corpus aggregation', () => {
  const ids = ['factorial/identical', 'factorial/renamed', 'bubble_sort/different_algorithm'].filter((id) => byId.has(id));
  const chosen = ids.length ? ids : goldenPairs.slice(0, 3).map((p) => p.id);
  const references = chosen.map((id) => [pair(id).reference]);
  const candidates = chosen.map((id) => pair(id).hypothesis);

  test('sums numerators and denominators over pairs, so order does not matter', () => {
    const forward = corpusSyntaxMatch(references, candidates);
    const backward = corpusSyntaxMatch([...references].reverse(), [...candidates].reverse());
    expect(forward).toBeCloseTo(backward, 12);
    expect(corpusDataflowMatch(references, candidates)).toBeCloseTo(corpusDataflowMatch([...references].reverse(), [...candidates].reverse()), 12);
  });

  test('several references: every (candidate, reference) combination counts', () => {
    const a = goldenPairs[0];
    const b = goldenPairs[1];
    const both = corpusSyntaxMatch([[a.reference, b.reference]], [a.hypothesis]);
    const separately = corpusSyntaxMatch([[a.reference], [b.reference]], [a.hypothesis, a.hypothesis]);
    expect(both).toBeCloseTo(separately, 12);
  });

  test('scores do not depend on what earlier calls left in the shared cache', () => {
    const analyzer = CodeAnalyzer.shared(getLanguage('python'));
    const scoreAlone = ({ reference, hypothesis }: { reference: string; hypothesis: string }) => {
      analyzer.clearCache();
      return [corpusSyntaxMatch([[reference]], [hypothesis]), corpusDataflowMatch([[reference]], [hypothesis])];
    };
    const alone = goldenPairs.map(scoreAlone);
    analyzer.clearCache();
    const reversed = [...goldenPairs].reverse();
    const afterOthers = reversed.map(({ reference, hypothesis }) => [corpusDataflowMatch([[reference]], [hypothesis]), corpusSyntaxMatch([[reference]], [hypothesis])]);
    afterOthers.reverse().forEach(([dataflow, syntax], item) => expect([syntax, dataflow]).toEqual(alone[item]));
  });

  test('empty corpus: syntax match is an error, data-flow match is 0', () => {
    expect(() => corpusSyntaxMatch([], [])).toThrow(/at least one/);
    expect(corpusDataflowMatch([], [])).toBe(0);
  });

  test('mismatched lengths and missing references are errors', () => {
    expect(() => corpusSyntaxMatch([['x = 1']], [])).toThrow(/pair up/);
    expect(() => calcCodeBleu([[]], ['x = 1'])).toThrow(/no reference/);
  });

  test('what is not text is named (the types do not reach JavaScript callers)', () => {
    const loose = calcCodeBleu as (references: unknown, candidates: unknown) => unknown;
    expect(() => loose(['a = 1'], [5])).toThrow('candidate 0 is number, not a string');
    expect(() => loose(['a = 1'], [null])).toThrow('candidate 0 is null, not a string');
    expect(() => loose([['a = 1', 7]], ['a = 1'])).toThrow('reference 1 of candidate 0 is number, not a string');
    expect(() => loose('a = 1', ['a = 1'])).toThrow('references and candidates must be arrays');
  });

  test('weights are four non-negative numbers, as the reference asserts four', () => {
    for (const weights of [[0.5, 0.5, 0], [-1, 1, 1, 0], [0.25, 0.25, 0.25, NaN]]) {
      expect(() => calcCodeBleu(['a = 1'], ['a = 1'], { weights: weights as unknown as [number, number, number, number] })).toThrow(/weights must be four non-negative numbers/);
    }
  });
});

describe('corner cases from the reference', () => {
  test('both empty: syntax 1 (the bare module matches), data flow 0 (degenerate)', () => {
    expect(corpusSyntaxMatch([['']], [''])).toBe(1);
    expect(corpusDataflowMatch([['']], [''])).toBe(0);
  });

  test('calc_codebleu counts a data-flow score of 0 as 1 inside codebleu', () => {
    const scores = calcCodeBleu(['pass'], ['pass']);
    expect(scores.dataflow_match_score).toBe(0);
    const { ngram_match_score, weighted_ngram_match_score, syntax_match_score } = scores;
    expect(scores.codebleu).toBeCloseTo(0.25 * (ngram_match_score + weighted_ngram_match_score + syntax_match_score + 1), 12);
  });

  test('weights are applied to the four components', () => {
    const scores = calcCodeBleu(['x = 1\ny = x'], ['x = 1\ny = 2'], { weights: [1, 0, 0, 0] });
    expect(scores.codebleu).toBeCloseTo(scores.ngram_match_score, 12);
  });

  test('the language can be the third argument, as in the reference', () => {
    expect(calcCodeBleu(['x = 1\ny = x'], ['x = 2\ny = x'], 'python')).toEqual(calcCodeBleu(['x = 1\ny = x'], ['x = 2\ny = x'], { lang: 'python' }));
  });

  test('a tokenizer replaces the whitespace split in both n-gram matches only', () => {
    const characters = (code: string) => [...code.replace(/\s/g, '')];
    const byWords = calcCodeBleu(['def f(a):\n    return a + 1'], ['def f(b):\n    return b + 1']);
    const byCharacters = calcCodeBleu(['def f(a):\n    return a + 1'], ['def f(b):\n    return b + 1'], 'python', { tokenizer: characters });
    expect(byCharacters.ngram_match_score).toBeGreaterThan(byWords.ngram_match_score);
    expect(byCharacters.weighted_ngram_match_score).not.toBe(byWords.weighted_ngram_match_score);
    expect([byCharacters.syntax_match_score, byCharacters.dataflow_match_score]).toEqual([byWords.syntax_match_score, byWords.dataflow_match_score]);
  });

  test('unknown languages are rejected with the list of known ones', () => {
    expect(() => calcCodeBleu(['x'], ['x'], { lang: 'cobol' })).toThrow(/Unsupported language "cobol"; supported: java, javascript, c_sharp, php, c, cpp, python, go, ruby, rust/);
  });
});

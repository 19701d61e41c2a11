import { calcCodeBleu, corpusDataflowMatch, corpusSyntaxMatch, inspectCode, loadLanguage } from '../src/index.js';
import { differingScores, expectedDataflow, expectedScores, goldenSet, LANGUAGES, observedDataflowValues, TOLERANCE } from './golden.js';

// Every component on every oracle pair of every language (224 python pairs, 48 per other
// language), within 1e-6 of the reference's value; seed-dependent data flow is compared with
// the sorted-de-duplication value (see golden.ts), which must also be one the reference produced.
const EXPECTED_PAIRS: Record<string, number> = { python: 224 };

describe.each(LANGUAGES)('%s', (lang) => {
  const { pairs, debug } = goldenSet(lang);
  const rows = pairs.map((pair, index) => [pair.id, pair, debug[index]] as const);
  beforeAll(() => loadLanguage(lang));

  test('the fixtures hold the oracle pairs with their debug records', () => {
    expect(pairs).toHaveLength(EXPECTED_PAIRS[lang] ?? 48);
    expect(debug.map((d) => d.id)).toEqual(pairs.map((p) => p.id));
  });

  test.each(rows)('syntax match: %s', (_id, pair) => {
    expect(Math.abs(corpusSyntaxMatch([[pair.reference]], [pair.hypothesis], lang) - pair.syntax_match)).toBeLessThan(TOLERANCE);
  });

  test.each(rows)('dataflow match: %s', (_id, pair) => {
    const score = corpusDataflowMatch([[pair.reference]], [pair.hypothesis], lang);
    expect(Math.abs(score - expectedDataflow(pair))).toBeLessThan(TOLERANCE);
    expect(observedDataflowValues(pair).some((value) => Math.abs(value - score) < TOLERANCE)).toBe(true);
  });

  test.each(rows)('calc_codebleu (all five outputs): %s', (_id, pair) => {
    expect(differingScores(calcCodeBleu([pair.reference], [pair.hypothesis], lang), expectedScores(pair))).toEqual([]);
  });

  test.each(rows)('comment removal, subtrees, data-flow edges: %s', (_id, pair, record) => {
    for (const side of ['reference', 'hypothesis'] as const) {
      const inspection = inspectCode(pair[side], lang);
      expect(inspection.cleaned).toBe(record[`${side}_after_comment_removal`]);
      const subtrees = record[`${side}_subtrees`];
      if (subtrees) expect([...inspection.subtrees].sort()).toEqual([...subtrees].sort());
      // Parent-name order is the hash-seed-dependent part, so parents compare as sorted lists.
      const comparable = (edges: Array<[string, number, string, readonly string[], readonly number[]]>) =>
        edges.map(([name, index, relation, parents, indices]) => [name, index, relation, [...parents].sort(), [...indices].sort((a, b) => a - b)]);
      expect(comparable(inspection.dataflow.map((e) => [e.name, e.index, e.relation, e.parents, e.parentIndices]))).toEqual(comparable(record[`${side}_dfg`]));
    }
  });

  test('corpus level: syntax and data-flow match sum the pairs’ counts', () => {
    const sum = (counts: Array<{ matched: number; total: number }>) => counts.reduce((a, c) => a + c.matched, 0) / counts.reduce((a, c) => a + c.total, 0);
    expect(corpusSyntaxMatch(pairs.map((p) => [p.reference]), pairs.map((p) => p.hypothesis), lang)).toBeCloseTo(sum(pairs.map((p) => p.syntax_detail)), 12);
    // Seed-dependent pairs' counts are the seed-0 ones, so the data-flow sum leaves them out.
    const stable = pairs.filter((p) => !p.dataflow_hash_seed.seed_dependent);
    expect(corpusDataflowMatch(stable.map((p) => [p.reference]), stable.map((p) => p.hypothesis), lang)).toBeCloseTo(sum(stable.map((p) => p.dataflow_detail)), 12);
  });
});

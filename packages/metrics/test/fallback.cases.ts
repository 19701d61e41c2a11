import { calcCodeBleu, loadLanguage, parserOf, registerLanguage } from '../src/index.js';
import { differingScores, expectedScores, goldenSet, LANGUAGES } from './golden.js';

// With a web-tree-sitter release whose memory layout is unknown, grammars come without memory
// and trees are walked with TreeCursor. Each language is registered once more that way (and
// without its native build, which would otherwise parse), and every golden pair must score the
// same through it.
describe.each(LANGUAGES)('TreeCursor fallback: %s', (lang) => {
  test('every golden pair gives the reference values', async () => {
    const language = await loadLanguage(lang);
    const name = `${lang}-through-cursor`;
    registerLanguage({ ...language, name, grammar: { ...language.grammar, memory: null }, nativeGrammar: undefined });
    expect(parserOf(name)).toBe('wasm-cursor');
    for (const pair of goldenSet(lang).pairs) {
      expect({ id: pair.id, differing: differingScores(calcCodeBleu([pair.reference], [pair.hypothesis], name), expectedScores(pair)) }).toEqual({ id: pair.id, differing: [] });
    }
  });
});

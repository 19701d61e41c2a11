// Its own test file (jest gives each a fresh module registry): web-tree-sitter initialised by
// someone else before this package loads a grammar, so its memory is out of reach and trees are
// walked with TreeCursor, after one notice. The native parser is switched off, or it would parse.
import { Parser } from 'web-tree-sitter';

test('web-tree-sitter initialised elsewhere first: one notice, then TreeCursor with the same scores', async () => {
  process.env.CODISTILL_METRICS_NATIVE = '0';
  await Parser.init();
  const notices: string[] = [];
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error) => notices.push(String(warning))) as typeof process.emitWarning;
  try {
    const { calcCodeBleu, loadLanguage, parserOf } = await import('../src/index.js');
    await loadLanguage('java');
    await loadLanguage('go');
    expect(notices).toEqual([expect.stringMatching(/web-tree-sitter was initialised before it could load it: it walks them with TreeCursor instead/)]);
    expect([parserOf('java'), parserOf('go')]).toEqual(['wasm-cursor', 'wasm-cursor']);
    const scores = calcCodeBleu(['int f(int a) { int b = a + 1; return b; }'], ['int g(int x) { int y = x + 2; return y; }'], 'java');
    expect(scores).toEqual({ codebleu: 0.5234814734181521, ngram_match_score: 0.04494125428082657, weighted_ngram_match_score: 0.048984639391782075, syntax_match_score: 1, dataflow_match_score: 1 });
  } finally {
    process.emitWarning = emitWarning;
  }
});

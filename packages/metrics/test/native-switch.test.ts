// Its own test file: the switch is read when the native parser is first looked for, once per
// module registry, and jest gives each file a fresh one.
test('CODISTILL_METRICS_NATIVE=0 keeps CodeBLEU on web-tree-sitter, with the same scores', async () => {
  process.env.CODISTILL_METRICS_NATIVE = '0';
  const { calcCodeBleu, loadLanguage, parserOf } = await import('../src/index.js');
  const java = await loadLanguage('java');
  expect(java.nativeGrammar).toBeUndefined();
  expect(parserOf('java')).toBe('wasm-memory');
  expect(calcCodeBleu(['int x = 1;'], ['int x = 1;'], 'java').syntax_match_score).toBe(1);
});

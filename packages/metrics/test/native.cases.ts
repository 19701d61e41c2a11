import { CodeAnalyzer } from '../src/analysis.js';
import { loadLanguage } from '../src/index.js';
import { nativeParser, NativeTreeReader } from '../src/native-tree-reader.js';
import { TreeReader } from '../src/tree.js';
import type { MemoryGrammar } from '../src/tree-sitter-wasm.js';
import { goldenSet } from './golden.js';

/** See tree.cases.ts: CI requires the native parser, elsewhere it is tested where it is built. */
const nativeDescribe = nativeParser() || process.env.CODISTILL_REQUIRE_NATIVE === '1' ? describe : describe.skip;

nativeDescribe('the native parser', () => {
  test('scoring uses it for every built-in language', async () => {
    for (const lang of ['java', 'javascript', 'c_sharp', 'php', 'c', 'cpp', 'python', 'go', 'ruby', 'rust']) {
      expect([lang, CodeAnalyzer.shared(await loadLanguage(lang)).parser]).toEqual([lang, 'native']);
    }
  });

  test('a value that is not a grammar is a clear error', () => {
    const addon = nativeParser()!;
    const message = "expected a tree-sitter grammar's `language` (the External its Node binding exports)";
    expect(() => addon.newParser({})).toThrow(message);
    expect(() => new NativeTreeReader({}, new Set())).toThrow(message);
  });

  test('a text whose parse outgrows the arena (≈55 bytes a character, 64 MiB) reads as web-tree-sitter reads it', async () => {
    const python = await loadLanguage('python');
    const texts = goldenSet('python').pairs.flatMap((pair) => [pair.reference, pair.hypothesis]);
    let big = texts.join('\n');
    while (big.length < 1_500_000) big += '\n' + big;
    const native = new NativeTreeReader(python.nativeGrammar!, python.singleTokenTypes).parse(big);
    const wasm = new TreeReader(python.grammar as MemoryGrammar, python.singleTokenTypes).parse(big);
    expect(native.size).toBe(wasm.size);
    expect(native.depth).toBe(wasm.depth);
    for (const key of ['type', 'named', 'missing', 'field', 'start', 'end', 'parent', 'firstChild', 'lastChild', 'nextSibling'] as const) {
      // One string per array: element-wise matchers take seconds on a million nodes.
      expect([key, JSON.stringify(native[key])]).toEqual([key, JSON.stringify(wasm[key])]);
    }
    // The next text parses in the emptied arena again.
    expect(new NativeTreeReader(python.nativeGrammar!, python.singleTokenTypes).parse('x = 1').type.slice(0, 2)).toEqual(['module', 'expression_statement']);
  });
});

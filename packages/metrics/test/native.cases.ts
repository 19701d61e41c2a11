import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { loadLanguage, parserOf } from '../src/index.js';
import { compiledFromInstalled, nativeBuild, nativeParser, NativeTreeReader, type CompiledGrammar } from '../src/native-tree-reader.js';
import { collectSubtrees, SubtreeInterner } from '../src/syntax.js';
import { TreeReader } from '../src/tree.js';
import type { MemoryGrammar } from '../src/tree-sitter-wasm.js';
import { goldenSet, LANGUAGES } from './golden.js';
import { nativeTested } from './native-tested.js';

const require = createRequire(import.meta.url);

const nativeDescribe = nativeTested ? describe : describe.skip;

const pythonTexts = () => goldenSet('python').pairs.flatMap((pair) => [pair.reference, pair.hypothesis]);

nativeDescribe('the native parser', () => {
  test('scoring uses it for every built-in language', async () => {
    for (const lang of LANGUAGES) {
      await loadLanguage(lang);
      expect([lang, parserOf(lang)]).toEqual([lang, 'native']);
    }
  });

  test('gcc builds it profile-guided (when the profiling run fails, the module still builds, silently 15-20 % slower)', () => {
    const build = nativeBuild();
    expect(build).not.toBeNull();
    if (build!.gcc) expect(build).toMatchObject({ profileGuided: true, flags: expect.arrayContaining(['-O3', '-fprofile-use']) });
  });

  test("the grammars it compiles (lexers with character sets) are the ones scoring loads, and parse every golden text as the packages' prebuilt binaries do", async () => {
    const addon = nativeParser()!;
    const { digestPasses } = require('./native-digest.cjs') as { digestPasses: (addon: object, parser: object, texts: string[], passes: number) => number[] };
    const compiled: string[] = [];
    for (const lang of LANGUAGES) {
      const packageName = `tree-sitter-${lang.replace('_', '-')}`;
      const exportName = lang === 'php' ? 'php' : undefined;
      const file = fileURLToPath(new URL(`../native/build/grammars/${packageName}${exportName ? `.${exportName}` : ''}.node`, import.meta.url));
      if (!existsSync(file)) continue;
      compiled.push(lang);
      const own = (require(file) as { language: object }).language;
      const binding = require(packageName) as Record<string, { language: object }> & { language: object };
      const prebuilt = exportName ? binding[exportName].language : binding.language;
      expect((await loadLanguage(lang)).nativeGrammar).toBe(own);
      const texts = goldenSet(lang).pairs.flatMap((pair) => [pair.reference, pair.hypothesis]);
      expect([lang, digestPasses(addon, addon.newParser(own), texts, 1)]).toEqual([lang, digestPasses(addon, addon.newParser(prebuilt), texts, 1)]);
    }
    // Every grammar's lexer but ruby's tests character sets (c_sharp's identifiers against 669 ranges).
    expect(compiled).toEqual(LANGUAGES.filter((lang) => lang !== 'ruby'));
  });

  test('a compiled grammar is used only while the package version it was compiled from is installed', () => {
    const compiled = require(fileURLToPath(new URL('../native/build/grammars/tree-sitter-c-sharp.node', import.meta.url))) as CompiledGrammar;
    expect(compiled.version).toBe((require('tree-sitter-c-sharp/package.json') as { version: string }).version);
    expect(compiledFromInstalled(compiled, 'tree-sitter-c-sharp')).toBe(true);
    expect(compiledFromInstalled({ ...compiled, version: '0.22.0' }, 'tree-sitter-c-sharp')).toBe(false);
  });

  // Anonymous nodes with children (`not in`, `is not`), MISSING nodes, ERROR leaves starting with
  // escaped, quoted and non-ASCII characters, fields inherited through hidden nodes.
  const TRICKY: [string, string][] = [
    ['python', 'if a not in b and c is not d:\n    pass'],
    ['python', 'def f(:\n  return (('],
    ['python', '$$$ ??? @@@ \u0000\t\r'],
    ['python', 'x = 🙂'],
    ['python', 'x = 1 § 2\nnaïve = "héllo wörld 🙂"'],
    ['python', 'print "python 2"\nexec code in ns'],
    ['java', 'class A { int x = 1 # 2; void f() { int y = ; if (y > ) { } } }'],
    ['c_sharp', 'class A { int x = 1 ` 2; void F() { var y = 1 \u00a7 2; } }'],
    ['javascript', 'let x = #\n; let y = (1 + ; function ('],
    ['ruby', 'x = 1 \u0000 2\ndef f(a, b\n  a +\nend end'],
    ['go', 'package a\nvar x = 1 @ 2\n'],
    ['php', '<?php $a = [1, 2; echo "$a{"; ?>'],
  ];

  test("subtree ids interned in C have syntax.ts's S-expressions, on every golden text and tricky ones", async () => {
    for (const lang of LANGUAGES) {
      const language = await loadLanguage(lang);
      const reader = new NativeTreeReader(language.nativeGrammar!, language.singleTokenTypes);
      const ids = reader.newSubtreeIds();
      const interner = new SubtreeInterner();
      const golden = goldenSet(lang).pairs.flatMap((pair) => [pair.reference, pair.hypothesis]);
      const tricky = TRICKY.filter(([of]) => of === lang).map(([, text]) => text);
      // One interner for all texts of a language, as for a corpus: an id is one S-expression, and
      // one S-expression one id, across texts.
      const idOfText = new Map<string, number>();
      const differing: unknown[] = [];
      for (const text of [...golden, ...tricky].map((code) => language.removeComments(code))) {
        const tree = reader.parse(text);
        const collected = Array.from(reader.collectSubtrees(ids));
        const fromC = collected.map((id) => reader.subtreeText(ids, id));
        const fromTypeScript = collectSubtrees(tree, interner).map((id) => interner.sexp(id));
        if (JSON.stringify(fromC) !== JSON.stringify(fromTypeScript)) differing.push({ text, fromC, fromTypeScript });
        fromC.forEach((sexp, at) => {
          if (!idOfText.has(sexp)) idOfText.set(sexp, collected[at]);
          if (idOfText.get(sexp) !== collected[at]) differing.push({ sexp, ids: [idOfText.get(sexp), collected[at]] });
        });
      }
      expect([lang, differing]).toEqual([lang, []]);
      expect(new Set(idOfText.values()).size).toBe(idOfText.size);
    }
  });

  test('a value that is not a grammar is a clear error', () => {
    const addon = nativeParser()!;
    const message = "expected a tree-sitter grammar's `language` (the External its Node binding exports)";
    expect(() => addon.newParser({})).toThrow(message);
    expect(() => new NativeTreeReader({}, new Set())).toThrow(message);
    const python = require('tree-sitter-python') as { language: object };
    expect(() => addon.parse(python.language, 'x = 1', new Int32Array(64))).toThrow('parse: expected a parser from newParser');
    expect(() => addon.parse(addon.newParser(python.language), 'x = 1', new Float64Array(64) as unknown as Int32Array)).toThrow('parse: `out` must be an Int32Array');
  });

  test('a text whose parse outgrows the arena (≈55 bytes a character, 64 MiB) reads as web-tree-sitter reads it', async () => {
    const python = await loadLanguage('python');
    let big = pythonTexts().join('\n');
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

  test('worker threads parse at the same time as the main thread, each in its own arena', async () => {
    const python = await loadLanguage('python');
    const texts = pythonTexts();
    const passes = 20;
    const digestFile = require.resolve('./native-digest.cjs');
    const { digestPasses } = require(digestFile) as { digestPasses: (addon: object, parser: object, texts: string[], passes: number) => number[] };
    const workerData = {
      addon: fileURLToPath(new URL('../native/build/flat-tree.node', import.meta.url)),
      grammar: require.resolve('tree-sitter-python'),
      texts,
      passes,
    };
    const workers = [0, 1].map(() => new Worker(digestFile, { workerData }));
    const results = Promise.all(workers.map((worker) => new Promise<number[]>((resolve, reject) => worker.once('message', resolve).once('error', reject))));
    // The main thread parses the same texts meanwhile, with its own parser and arena.
    const addon = nativeParser()!;
    const ownDigests = digestPasses(addon, addon.newParser(python.nativeGrammar!), texts, passes);
    const fromWorkers = await results;
    await Promise.all(workers.map((worker) => worker.terminate()));
    expect(new Set(ownDigests).size).toBe(1);
    for (const digests of fromWorkers) expect(digests).toEqual(ownDigests);
  });
});

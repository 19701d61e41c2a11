// The profiling run of scripts/build-native.mjs's profile-guided build: loads the instrumented
// module named on the command line and parses sources every installation has (the grammar
// packages' grammar.js and scanner.c, this package's native/flat-tree.c) with the javascript
// and c grammars. The hot paths of tree-sitter's runtime (lexing, shifts, reductions, the
// stack) are the same for every grammar: a profile of these two made the other eight parse as
// fast as one made from their own code did (within 2 %). Exits non-zero when it cannot run.
//
//   node scripts/profile-native.mjs MODULE
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const require = createRequire(join(packageDir, 'package.json'));
const GRAMMARS = ['java', 'javascript', 'c-sharp', 'php', 'c', 'cpp', 'python', 'go', 'ruby', 'rust'].map((name) => `tree-sitter-${name}`);
/** Passes over the texts: enough for the counts to settle, about a second. */
const PASSES = 8;

const module = require(process.argv[2]);
const texts = { javascript: [], c: [readFileSync(join(packageDir, 'native', 'flat-tree.c'), 'utf8')] };
for (const grammar of GRAMMARS) {
  const root = dirname(require.resolve(`${grammar}/package.json`));
  for (const [lang, file] of [['javascript', 'grammar.js'], ['c', join('src', 'scanner.c')]]) {
    if (existsSync(join(root, file))) texts[lang].push(readFileSync(join(root, file), 'utf8'));
  }
}
const out = new Int32Array(1 << 20);
for (const [lang, sources] of Object.entries(texts)) {
  const parser = module.newParser(require(`tree-sitter-${lang}`).language);
  for (let pass = 0; pass < PASSES; pass++) for (const text of sources) module.parse(parser, text, out);
}

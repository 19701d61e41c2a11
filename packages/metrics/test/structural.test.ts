// Jest gives every test file a fresh module registry, so each file that imports the parser
// compiles and instantiates tree-sitter's WASM modules again (≈130 ms); every test that parses
// code is registered from this single file instead.
import { loadLanguage } from '../src/index.js';
import './golden.cases.js';
import './corpus.cases.js';
import './jsonl.cases.js';
import './robustness.cases.js';
import './tree.cases.js';
import './fallback.cases.js';
import './native.cases.js';

// Python's grammar loads on first use, like every other language's (the package has no top-level await).
beforeAll(() => loadLanguage('python'));

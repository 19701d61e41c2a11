// tree-sitter's Node binding stops parsing when Jest loads it a second time in one worker (each
// test file gets a fresh module registry, the native addon does not), so every test that
// parses code is registered from this single file.
import './golden.cases.js';
import './corpus.cases.js';
import './jsonl.cases.js';
import './robustness.cases.js';

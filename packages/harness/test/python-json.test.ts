import { spawnSync } from 'node:child_process';
import { toPythonJson } from '../src/python-json.js';
import { resolvePython } from '../src/index.js';

/** What Python's json module reads back from the text, re-encoded with repr for comparison. */
const pythonReads = (text: string) => spawnSync(resolvePython().executable, ['-c', 'import json, sys; print(repr(json.loads(sys.stdin.read())))'], { input: text, encoding: 'utf8' });

test('non-finite numbers reach Python as NaN and Infinity; text that looks like their marker stays text', () => {
  const job = { inputs: [NaN, -Infinity, Infinity, 1.5, [2, NaN]], code: 'x = 1  # "\u0000non-finite:NaN"', skip: undefined, list: [undefined] };
  const r = pythonReads(toPythonJson(job));
  expect(r.stderr).toBe('');
  expect(r.stdout.trim()).toBe(`{'inputs': [nan, -inf, inf, 1.5, [2, nan]], 'code': 'x = 1  # "\\x00non-finite:NaN"', 'list': [None]}`);
});

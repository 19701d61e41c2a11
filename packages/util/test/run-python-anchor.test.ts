import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPythonAnchor } from '../src/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-anchor-'));
afterAll(() => fs.rmSync(dir, { recursive: true }));
const script = (name: string, body: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  return file;
};

test("an anchor's last JSON line, with the given environment", () => {
  const file = script('ok.py', 'import json, os\nprint("warming up")\nprint(json.dumps({"threads": int(os.environ["THREADS"])}))\n');
  expect(runPythonAnchor<{ threads: number }>(file, ['json'], { THREADS: 3 })).toEqual({ threads: 3 });
});

test('no anchor when its modules do not import here; a failing anchor says why', () => {
  expect(runPythonAnchor(script('never-run.py', 'raise SystemExit(1)\n'), ['json', 'no_such_module_codistill'])).toBeUndefined();
  expect(() => runPythonAnchor(script('broken.py', 'raise ValueError("bad shape")\n'), ['json'])).toThrow(/broken\.py failed: .*bad shape/s);
});

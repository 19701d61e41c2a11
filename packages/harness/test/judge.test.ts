// The judge's comparison of an output with the expected one, called directly in Python.
import { spawnSync } from 'node:child_process';
import { resolvePython } from '../src/index.js';
import { JUDGE_SOURCE } from '../src/python/judge-source.js';

/** outputs_match for each case [out, the type name the sandbox reported, expected], on a HumanEval+ task with atol 1e-6. */
function outputsMatch(cases: string): boolean[] {
  const functions = JUDGE_SOURCE.replace(/\nmain\(\)\n$/, '\n');
  const script = `${functions}
job = {"dataset": "humaneval", "entryPoint": "f"}
print(json.dumps([outputs_match(job, {"atol": 1e-6}, [], out, reported, expected) for out, reported, expected in ${cases}]))`;
  const r = spawnSync(resolvePython().executable, ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as boolean[];
}

test("a value within atol has the expected's type, by the sandbox's report and by its decoded copy, and its nesting and lengths", () => {
  expect(
    outputsMatch(`[
      (1.5000001, "builtins.float", 1.5),
      ([1.5000001, 2.0], "builtins.list", [1.5, 2.0]),
      (1.5000001, "numpy.float64", 1.5),
      ([], "builtins.float", 3.5),
      ([[]], "builtins.list", [1.5]),
      ([[1.5]], "builtins.list", [1.5]),
      ((1.5,), "builtins.list", [1.5]),
      ([1.5], "builtins.list", [1.5, 1.5]),
    ]`),
  ).toEqual([
    true, // close enough
    true,
    false, // EvalPlus' type(out) == type(exp): numpy.float64 is not float
    false, // the decoded value is a list, whatever the sandbox reported
    false, // numpy.allclose broadcasts [[]] to nothing: EvalPlus would pass it
    false,
    false,
    false,
  ]);
});

import type { TacoProblem } from './types.js';

export interface TestRenderOptions {
  /** How many test cases go into the target (the paper does not say; 3 keeps examples short). */
  maxTests?: number;
  /** Test cases longer than this (rendered characters) are skipped: TACO has megabyte-sized inputs. */
  maxTestChars?: number;
}

/**
 * Renders a problem's tests as Python text for the training target: `assert` lines for call-based
 * problems (`fn_name`), commented input / expected-output blocks for stdin/stdout problems.
 */
export function renderTests(problem: TacoProblem, options: TestRenderOptions = {}): string {
  const maxTests = options.maxTests ?? 3;
  const maxTestChars = options.maxTestChars ?? 500;
  const tests = problem.tests;
  if (tests === null) return '';
  const rendered: string[] = [];
  for (let i = 0; i < tests.inputs.length && rendered.length < maxTests; i++) {
    const text = tests.fnName
      ? renderCall(tests.fnName, problem.starterCode, tests.inputs[i], tests.outputs[i])
      : renderStdio(rendered.length + 1, tests.inputs[i], tests.outputs[i]);
    if (text !== null && text.length <= maxTestChars) rendered.push(text);
  }
  return rendered.join('\n');
}

function renderCall(fnName: string, starterCode: string, input: unknown, output: unknown): string {
  const args = Array.isArray(input) ? input : [input];
  // TACO (like APPS) wraps call-based expected values in a one-element list; its checker accepts both.
  const expected = Array.isArray(output) && output.length === 1 ? output[0] : output;
  const callee = /class\s+Solution\b/.test(starterCode) ? `Solution().${fnName}` : fnName;
  return `assert ${callee}(${args.map(toPythonLiteral).join(', ')}) == ${toPythonLiteral(expected)}`;
}

function renderStdio(index: number, input: unknown, output: unknown): string | null {
  const asText = (v: unknown) => (Array.isArray(v) ? v.join('\n') : typeof v === 'string' ? v : null);
  const stdin = asText(input);
  const stdout = asText(output);
  if (stdin === null || stdout === null) return null;
  const comment = (text: string) => text.replace(/\n+$/, '').split('\n').map((line) => `# ${line}`.trimEnd()).join('\n');
  return `# test ${index}\n# input:\n${comment(stdin)}\n# expected output:\n${comment(stdout)}`;
}

/** JSON value -> Python literal (JSON strings are valid Python string literals). */
export function toPythonLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toPythonLiteral).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${toPythonLiteral(v)}`).join(', ')}}`;
}

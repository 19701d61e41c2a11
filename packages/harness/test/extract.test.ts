import * as util from '@codistill/util';
import { addMissingImports, chatPrompt, extractCode, meanPassAtK, passAtK, programFromOutput, repairBodyIndentation } from '../src/index.js';

const task = { prompt: 'from typing import List\n\n\ndef add(a: int, b: int) -> int:\n    """Add."""\n', entryPoint: 'add' };

test('fenced block with prose and reasoning around it', () => {
  const output = '<think>Let me think about adding.</think>Sure! Here is the code:\n```python\ndef add(a, b):\n    return a + b\n```\nThis adds two numbers.';
  expect(extractCode(output, 'add')).toBe('def add(a, b):\n    return a + b\n');
});

test('picks the block that defines the entry point, and an unterminated fence', () => {
  const output = '```python\nprint(add(1, 2))\n```\n\n```python\ndef add(a, b):\n    return a + b\n```';
  expect(extractCode(output, 'add')).toContain('def add');
  expect(extractCode('```python\ndef add(a, b):\n    return a + b\n', 'add')).toContain('return a + b');
});

test('unfenced code with prose before and after', () => {
  const output = 'The answer is below.\ndef add(a, b):\n    return a + b\nThis works because addition is commutative.';
  expect(extractCode(output, 'add')).toBe('def add(a, b):\n    return a + b');
});

test('a flush-left body is re-indented after the prompt', () => {
  expect(repairBodyIndentation('return a + b\n')).toBe('    return a + b\n');
  expect(repairBodyIndentation('\treturn a + b')).toBe('    return a + b');
  expect(programFromOutput('return a + b', task)).toBe(task.prompt + '    return a + b');
});

test('a whole function gets the imports it forgot', () => {
  const program = programFromOutput('```python\ndef add(a: int, b: int) -> int:\n    return math.floor(a) + b\n```', task);
  expect(program).toMatch(/^from typing import List\nimport math\ndef add/);
  expect(addMissingImports('x = re.sub("a", "b", "c")')).toBe('import re\nx = re.sub("a", "b", "c")');
});

test('chat prompt is a messages array with a response prefix', () => {
  const { messages, responsePrefix } = chatPrompt({ taskId: 't', completionPrompt: task.prompt, problem: task.prompt });
  expect(messages).toHaveLength(1);
  expect(messages[0].content).toContain('def add');
  expect(responsePrefix.endsWith('```python\n')).toBe(true);
});

test('pass@k is the one from @codistill/util (its tests live there)', () => {
  expect(passAtK).toBe(util.passAtK);
  expect(meanPassAtK).toBe(util.meanPassAtK);
  expect(meanPassAtK([{ n: 2, c: 1 }, { n: 2, c: 0 }])).toEqual({ 'pass@1': 0.25 });
});

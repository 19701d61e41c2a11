// Choosing the sandbox: a loud warning for the fallback, refusal where bubblewrap is required, and
// never generated code running as root. A bubblewrap command that does not exist stands for a machine without it.
import { planSandbox, resolvePython, type SandboxOptions } from '../src/index.js';

const python = resolvePython().executable;
const noBwrap = (options: SandboxOptions) => planSandbox({ bwrap: '/nonexistent/bwrap', python: '/usr/bin/python3', ...options });

test('without bubblewrap, auto falls back to the process sandbox with a warning', () => {
  const warnings: string[] = [];
  const plan = noBwrap({ warn: (m) => warnings.push(m) });
  expect(plan.kind).toBe('process');
  expect(warnings).toEqual([expect.stringMatching(/bubblewrap is not available.*weaker process sandbox.*--require-sandbox/)]);
  expect(plan.dropRoot).toBe(process.getuid?.() === 0);
});

test('--require-sandbox and --sandbox bwrap refuse to run without bubblewrap', () => {
  expect(() => noBwrap({ requireSandbox: true })).toThrow(/bubblewrap is required.*cannot start here/);
  expect(() => noBwrap({ sandbox: 'bwrap' })).toThrow(/bubblewrap is required/);
  expect(() => noBwrap({ sandbox: 'process', requireSandbox: true })).toThrow(/bubblewrap is required|contradicts/);
});

const rootWithPrivatePython = process.getuid?.() === 0 && !python.startsWith('/usr/');
(rootWithPrivatePython ? test : test.skip)('as root, a Python the private uid cannot read is refused rather than run as root', () => {
  expect(() => noBwrap({ python, sandbox: 'process' })).toThrow(/refusing to run generated code as root.*--python \/usr\/bin\/python3/);
});

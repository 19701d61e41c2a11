import { existsSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { bwrapAvailable, checkScript, DEFAULT_LIMITS, planSandbox, resolvePython, type ScriptTask, type SandboxKind } from '../src/index.js';
import { processSandboxPython } from './sandbox-python.js';

const kinds: SandboxKind[] = bwrapAvailable(resolvePython()) ? ['bwrap', 'process'] : ['process'];
const limits = { ...DEFAULT_LIMITS, memoryBytes: 768 * 2 ** 20 };
const task = (tests: string[]): ScriptTask => ({ kind: 'script', taskId: 'attack', prompt: '', entryPoint: 'f', setupCode: '', tests, canonicalSolution: '', zeroShot: { taskId: 'attack', completionPrompt: '', problem: '' } });

describe.each(kinds)('sandbox %s', (sandbox) => {
  const plan = planSandbox({ sandbox, python: sandbox === 'process' ? processSandboxPython() : undefined });
  const run = (code: string, tests = ['assert f()'], timeoutSeconds = 2) =>
    checkScript(task(tests), code, { plan, limits, timeoutSeconds, minTimeLimit: 1, timeLimitFactor: 1 });

  test('infinite loop times out', async () => {
    expect(await run('def f():\n    while True: pass\n')).toMatchObject({ status: 'timeout' });
  });

  test('fork bomb is stopped', async () => {
    // The guard refuses os.fork; under bwrap a ctypes fork bypasses it and meets RLIMIT_NPROC instead.
    const bomb = sandbox === 'bwrap' ? 'import ctypes\nfork = ctypes.CDLL(None).fork' : 'import os\nfork = os.fork';
    const result = await run(`${bomb}\ndef f():\n    while True:\n        fork()\n`);
    expect(result.status).not.toBe('passed');
  });

  test('memory bomb is stopped', async () => {
    // Zero-filling 768 MB can take seconds on a busy 2-core CI machine; what this checks is the
    // memory limit, so the wall-clock limit must not be the one that ends it.
    const result = await run('def f():\n    blocks = []\n    while True:\n        blocks.append(bytearray(10**8))\n', undefined, 20);
    expect(result).toMatchObject({ status: 'error' });
    expect(result.message).toMatch(/MemoryError/);
  });

  test('writing and deleting outside the work dir leave the host unchanged', async () => {
    const victim = path.join(os.tmpdir(), `codistill-victim-${process.pid}`);
    const escape = path.join(os.tmpdir(), `codistill-escape-${process.pid}`);
    writeFileSync(victim, 'keep');
    try {
      await run(`import os\ndef f():\n    open(${JSON.stringify(escape)}, 'w').write('x')\n    return True\n`);
      await run(`import os, shutil\ndef f():\n    os.remove(${JSON.stringify(victim)})\n    return True\n`);
      expect(existsSync(escape)).toBe(false);
      expect(existsSync(victim)).toBe(true);
    } finally {
      rmSync(victim, { force: true });
      rmSync(escape, { force: true });
    }
  });

  test("the parent's environment secrets are not visible", async () => {
    process.env.CODISTILL_TEST_SECRET = 'hunter2-secret';
    const code = `import os\ndef f():\n    seen = str(dict(os.environ))\n    try:\n        seen += open('/proc/%d/environ' % os.getppid()).read()\n    except Exception:\n        pass\n    return 'hunter2-secret' in seen\n`;
    expect((await run(code)).status).not.toBe('passed');
    delete process.env.CODISTILL_TEST_SECRET;
  });

  test('network connections fail', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const result = await run(`import socket\ndef f():\n    socket.create_connection(('127.0.0.1', ${port}), timeout=1).close()\n    return True\n`);
    await new Promise((resolve) => server.close(resolve));
    expect(result.status).not.toBe('passed');
    expect(connections).toBe(0);
  });

  test('killing the parent fails and the harness goes on', async () => {
    const result = await run('import os, signal\ndef f():\n    os.kill(os.getppid(), signal.SIGKILL)\n    os.killpg(0, signal.SIGKILL)\n    return True\n');
    expect(result.status).not.toBe('passed');
    expect(process.pid).toBeGreaterThan(0);
  });

  test('huge stdout is swallowed and the loop times out', async () => {
    expect(await run("import sys\ndef f():\n    while True:\n        sys.stdout.write('x' * 10**6)\n")).toMatchObject({ status: 'timeout' });
  });

  test('sys.exit and os._exit do not count as passing', async () => {
    expect((await run('import sys\nsys.exit(0)\n')).status).toBe('error');
    expect((await run('import os\ndef f():\n    os._exit(0)\n')).status).toBe('error');
  });

  (sandbox === 'bwrap' ? test : test.skip)('disk writes stop at the quota and never reach the host', async () => {
    const code = `import os\ndef f():\n    block = b'x' * 2**20\n    for i in range(2000):\n        with open('f%d' % (i // 32), 'ab') as out:\n            out.write(block)\n    return True\n`;
    const result = await checkScript(task(['assert f()']), code, { plan, limits: { ...limits, diskBytes: 32 * 2 ** 20 }, timeoutSeconds: 20, minTimeLimit: 1, timeLimitFactor: 1 });
    expect(result).toMatchObject({ status: 'error' });
    expect(result.message).toMatch(/No space left on device/);
  });

  test('runaway recursion is reported', async () => {
    const result = await run('def f(n=0):\n    return f(n + 1)\n');
    expect(result).toMatchObject({ status: 'error' });
    expect(result.message).toMatch(/RecursionError/);
  });
});

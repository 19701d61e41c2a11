import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Whether python3 imports each module list, asked once per list and process. */
const importable = new Map<string, boolean>();

/**
 * The last JSON line a Python reference script prints (a benchmark's anchor: the same work in
 * PyTorch, transformers, ...), run now with `env` added to the environment; undefined when
 * python3 cannot import `modules` here, so the anchor cannot run on this machine. A script that
 * fails throws with its stderr.
 */
export function runPythonAnchor<T>(script: string, modules: string[], env: Record<string, string | number> = {}): T | undefined {
  const imports = `import ${modules.join(', ')}`;
  if (!importable.has(imports)) importable.set(imports, spawnSync('python3', ['-c', imports], { stdio: 'ignore' }).status === 0);
  if (!importable.get(imports)) return undefined;
  const vars = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
  const r = spawnSync('python3', [script], { env: { ...process.env, ...vars }, encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`${path.basename(script)} failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

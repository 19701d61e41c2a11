// The PyTorch + PEFT anchors (bench/anchors/*.py, copies of the project's reference scripts), run
// beside a benchmark when torch and peft import here.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ANCHORS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'anchors');

/** The last JSON line `anchors/<script>` prints under `env`, or undefined when torch or peft does not import. */
export function runTorchAnchor<T>(script: string, env: Record<string, string | number>): T | undefined {
  if (spawnSync('python3', ['-c', 'import torch, peft'], { stdio: 'ignore' }).status !== 0) return undefined;
  const r = spawnSync('python3', [path.join(ANCHORS, script)], { env: { ...process.env, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) }, encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as T;
}

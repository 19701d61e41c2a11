// The PyTorch + PEFT anchors (bench/anchors/*.py, copies of the project's reference scripts), run
// beside a benchmark when torch and peft import here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPythonAnchor } from '@codistill/util';

const ANCHORS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'anchors');

/** The last JSON line `anchors/<script>` prints under `env`, or undefined when torch or peft does not import. */
export const runTorchAnchor = <T>(script: string, env: Record<string, string | number>): T | undefined =>
  runPythonAnchor<T>(path.join(ANCHORS, script), ['torch', 'peft'], env);

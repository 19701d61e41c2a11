// A device or 16-bit setting that cannot run here is refused before any work: nothing is read,
// built or written, and the message names the flag and what does run.
import fs from 'node:fs';
import path from 'node:path';
import { availableProviders, missingForCuda } from '@codistill/graph';
import { buildTrainGraph, parseTrainOptions, train } from '../src/index.js';
import { modelsFixture, tmp, writeData } from './helpers.js';

const student = modelsFixture('tiny-llama');
const run = (dir: string, extra: object) =>
  train({
    model_name_or_path: student,
    train_file: writeData(dir, 2),
    output_dir: path.join(dir, 'out'),
    max_steps: 1,
    ...extra,
  });

test('--bf16 on webgpu is refused before the output folder is made: WebGPU has no bfloat16 kernels', async () => {
  const dir = tmp();
  await expect(run(dir, { bf16: true, device: 'webgpu' })).rejects.toThrow(
    "bf16 (--bf16): ONNX Runtime's WebGPU provider has no bfloat16 kernels; use fp16 (--fp16) on webgpu, or bf16 on cuda",
  );
  expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
});

test("on the CPU a 16-bit setting's warning names the devices that compute in it", () => {
  const advice = (flag: 'bf16' | 'fp16') => {
    const warnings: string[] = [];
    const o = parseTrainOptions({
      model_name_or_path: student,
      train_file: '-',
      output_dir: '-',
      [flag]: true,
      max_length: 8,
      chunked_cross_entropy: 0,
    });
    buildTrainGraph(o, undefined, tmp(), (m) => warnings.push(m));
    return warnings;
  };
  expect(advice('bf16')).toEqual([
    expect.stringMatching(
      /^bf16: the CPU provider computes the base model in float32 .*use --device cuda\)$/,
    ),
  ]);
  expect(advice('fp16')).toEqual([expect.stringMatching(/use --device cuda or webgpu\)$/)]);
});

// On a machine with the CUDA provider there is nothing to refuse.
(availableProviders().has('cuda') ? test.skip : test)(
  '--device cuda without the CUDA provider is refused before the output folder is made, saying when there is no NVIDIA GPU',
  async () => {
    const dir = tmp();
    const error = await run(dir, { device: 'cuda' }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toMatch(
      /^device \(--device\) cuda: execution provider 'cuda' is not available in this onnxruntime-node install\n/,
    );
    expect(error).toContain('bash scripts/install-cuda-provider.sh');
    const noGpu = missingForCuda();
    if (noGpu)
      expect(error).toContain(
        `${noGpu}: CUDA runs only on an NVIDIA GPU with its driver, so use the webgpu or cpu provider here (CLI: --device webgpu)`,
      );
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  },
);

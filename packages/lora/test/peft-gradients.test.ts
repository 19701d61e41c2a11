// LoRA loss and gradients on the tiny Llama equal PyTorch + PEFT's (ref.safetensors, made by
// make_fixtures.py: r=4, alpha=8, q_proj+v_proj, labels -100 on the first 6 tokens).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GraphBuilder, hostTensor, modelFromBytes, SGD, TrainStep, type Params } from '@codistill/graph';
import { buildCausalLm, Checkpoint, loadSafetensors } from '@codistill/models';
import { shiftLabels, tokenLoss } from '@codistill/losses';
import { loadAdapter, loraHook, parseLoraConfig } from '../src/index.js';
import { fixture, relativeError, tinyLlama } from './helpers.js';

const ref = loadSafetensors(tinyLlama('ref.safetensors'));
const ckpt = new Checkpoint(tinyLlama());
const config = parseLoraConfig({ r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] });
const [B, T] = ref.input_ids.dims;

/** The reference's in-memory PEFT name for a saved name. */
const inMemory = (saved: string) => saved.replace(/\.weight$/, '.default.weight');

async function compile() {
  const { hook, modules } = loraHook(config, { training: true });
  const lm = buildCausalLm(ckpt, { linear: hook, graph: new GraphBuilder('lora-train') });
  const labels = lm.graph.input('labels', 'int64', ['batch', 'seq']);
  const weights = lm.graph.input('loss_weights', 'float32', ['batch', 'seq']);
  const loss = tokenLoss(lm.logits, labels, weights).loss;
  const params = modules.flatMap((m) => [m.A, m.B]);
  const step = await TrainStep.create(loss, params, { externalDataDir: ckpt.externalDataDir, threads: 1 });
  return { step, names: params.map((p) => p.name) };
}

function feeds() {
  const ids = Array.from(ref.input_ids.data as BigInt64Array, Number);
  const inLoss = Array.from(ref.labels.data as BigInt64Array, (l) => (l === -100n ? 0 : 1));
  const { labels, weights } = shiftLabels(ids, inLoss, B, T);
  return {
    input_ids: ref.input_ids,
    attention_mask: hostTensor('int64', [B, T], new Array(B * T).fill(1)),
    labels: hostTensor('int64', [B, T], labels),
    loss_weights: hostTensor('float32', [B, T], weights),
  };
}

test('loss and every LoRA gradient match PyTorch + PEFT within 1e-4 relative error', async () => {
  const { step, names } = await compile();
  expect(names).toHaveLength(8);
  const params: Params = Object.fromEntries(names.map((n) => [n, ref[`weight::${inMemory(n)}`].data as Float32Array]));
  const r = await step.run(params, feeds());
  expect(Math.abs(r.loss - Number(ref.loss.data[0])) / Number(ref.loss.data[0])).toBeLessThan(1e-4);
  for (const n of names) {
    const expected = ref[`grad::${inMemory(n)}`].data as Float32Array;
    expect(relativeError(r.grads[n], expected)).toBeLessThan(1e-4);
  }

  // One SGD step reproduces PyTorch's update w - lr * grad.
  const lr = 0.5;
  const updated: Params = Object.fromEntries(names.map((n) => [n, Float32Array.from(params[n])]));
  new SGD({ lr }).step(updated, r.grads);
  for (const n of names) {
    const w = ref[`weight::${inMemory(n)}`].data as Float32Array;
    const g = ref[`grad::${inMemory(n)}`].data as Float32Array;
    expect(relativeError(updated[n], Float32Array.from(w, (v, i) => v - lr * g[i]))).toBeLessThan(1e-5);
  }
  await step.release();
});

test("the adapter PEFT saved loads with the reference's weights", () => {
  const adapter = loadAdapter(fixture('peft-adapter'));
  expect(adapter.config).toMatchObject({ r: 4, lora_alpha: 8, lora_dropout: 0, target_modules: ['v_proj', 'q_proj'] });
  for (const [name, w] of Object.entries(adapter.weights)) {
    expect(Array.from(w)).toEqual(Array.from(ref[`weight::${inMemory(name)}`].data as Float32Array));
  }
});

test("every LoRA module's dropout survives ONNX Runtime's optimiser, layer 0's q/k/v included", async () => {
  // ONNX's Dropout op lost layer 0's q/k/v dropout here: their input needs no gradient, the mask
  // output went unused, and the optimiser deleted the node even in training mode.
  const withDropout = parseLoraConfig({ ...config, lora_dropout: 0.1, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
  const { hook, modules } = loraHook(withDropout, { training: true });
  const lm = buildCausalLm(ckpt, { linear: hook, graph: new GraphBuilder('lora-dropout') });
  const labels = lm.graph.input('labels', 'int64', ['batch', 'seq']);
  const weights = lm.graph.input('loss_weights', 'float32', ['batch', 'seq']);
  const optimized = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-lora-')), 'optimized.onnx');
  const step = await TrainStep.create(tokenLoss(lm.logits, labels, weights).loss, modules.flatMap((m) => [m.A, m.B]), { externalDataDir: ckpt.externalDataDir, threads: 1, optimizedModelPath: optimized });
  await step.release();
  const nodes = modelFromBytes(fs.readFileSync(optimized)).graph.nodes;
  // Each module's mask: its hash compared with the threshold, one per module (a mask the optimiser
  // deleted or merged with another module's would show as 0 here).
  const masked = (module: string) => nodes.filter((n) => n.name.includes(`/${module}.lora_dropout/`) && n.op === 'GreaterOrEqual').length;
  expect(modules.map((m) => [m.module, masked(m.module)])).toEqual(modules.map((m) => [m.module, 1]));
});

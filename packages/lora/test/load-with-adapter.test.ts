import { loadAdapter, loadGeneratorWithAdapter, loadModelWithAdapter } from '../src/index.js';
import { fixture, tinyLlama } from './helpers.js';

test('without an adapter: the base model, no hook and no extra feeds', async () => {
  const { dir, tokenizer, checkpoint, options } = await loadModelWithAdapter(tinyLlama(), { threads: 1 });
  expect(dir).toBe(tinyLlama());
  expect(tokenizer.encode('def f(x):').length).toBeGreaterThan(0);
  expect(checkpoint.config.model_type).toBe('llama');
  expect(options).toEqual({ threads: 1, provider: undefined, allowCpuFallback: undefined, linear: undefined, feeds: undefined });
});

test("with an adapter: its tensors are fed to the generator's graph, and they change what it computes", async () => {
  const adapter = loadAdapter(fixture('peft-adapter'));
  const firstLogits = async (adapterDir?: string) => {
    const { tokenizer, generator, options } = await loadGeneratorWithAdapter(tinyLlama(), { adapter: adapterDir, threads: 1 });
    let logits: Float32Array | undefined;
    try {
      await generator.generateText(tokenizer, ['def f(x):'], { maxNewTokens: 1, onLogits: (_step, l) => void (logits ??= l.slice()) });
    } finally {
      await generator.release();
    }
    return { logits: logits!, feeds: Object.keys(options.feeds ?? {}) };
  };
  const base = await firstLogits();
  const tuned = await firstLogits(fixture('peft-adapter'));
  expect(tuned.feeds.sort()).toEqual(Object.keys(adapter.weights).sort());
  expect(base.feeds).toEqual([]);
  expect(tuned.logits.length).toBe(base.logits.length);
  expect(tuned.logits.some((v, i) => Math.abs(v - base.logits[i]) > 1e-4)).toBe(true);
});

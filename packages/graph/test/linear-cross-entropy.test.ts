// linearCrossEntropy against maskedCrossEntropy on the full logits: loss, per-row NLL and d loss / d hidden.
import {
  checkGradients,
  gradients,
  gradName,
  GraphBuilder,
  hostTensor,
  linear,
  linearCrossEntropy,
  maskedCrossEntropy,
  maxRelativeError,
  mulberry32,
  Runner,
  type Dim,
  type HostTensor,
  type LinearCrossEntropyOptions,
  type Value,
} from '../src/index.js';
import { defaultVocabBlocks } from '../src/linear-cross-entropy.js';

const [B, T, H, V] = [3, 4, 6, 12];
const rand = mulberry32(7);
const feeds: Record<string, HostTensor> = {
  h: hostTensor('float32', [B, T, H], Array.from({ length: B * T * H }, () => rand() * 4 - 2)),
  w: hostTensor('float32', [V, H], Array.from({ length: V * H }, () => rand() * 2 - 1)),
  labels: hostTensor('int64', [B, T], Array.from({ length: B * T }, () => Math.floor(rand() * V))),
  // Zeros drop positions (question, padding); fractional weights scale them.
  weights: hostTensor('float32', [B, T], [1, 0, 1, 1, 0, 0, 0.5, 1, 1, 2, 0, 1]),
};

type Loss = (h: Value, w: Value, labels: Value, weights: Value) => { loss: Value; nll: Value };

/** Loss, NLL and d loss / d h of `build`, with 3 * loss as the objective to exercise the upstream gradient. */
async function run(build: Loss, dims: Dim[] = [B, T]): Promise<Record<string, Float32Array>> {
  const g = new GraphBuilder();
  const h = g.input('h', 'float32', [...dims, H]);
  const w = g.input('w', 'float32', [V, H]);
  const { loss, nll } = build(h, w, g.input('labels', 'int64', dims), g.input('weights', 'float32', dims));
  g.output(loss, 'loss');
  g.output(nll, 'nll');
  gradients(g.output(mulByThree(loss), 'objective'), [h]);
  const r = await Runner.create(g.toModel());
  const { outputs } = await r.run(feeds);
  await r.release();
  return Object.fromEntries(['loss', 'nll', gradName('h')].map((k) => [k, outputs[k].data as Float32Array]));
}

const mulByThree = (x: Value) => x.graph.op('Mul', [x, x.graph.scalar(3)])[0];
const plain: Loss = (h, w, labels, weights) => maskedCrossEntropy(linear(h, w), labels, weights);
const fused =
  (opts: LinearCrossEntropyOptions): Loss =>
  (h, w, labels, weights) =>
    linearCrossEntropy(h, w, labels, weights, opts);

const cases: [string, LinearCrossEntropyOptions, Dim[]][] = [
  ['chunks dividing the rows', { chunkRows: 4 }, [B, T]],
  ['chunks not dividing the rows', { chunkRows: 5 }, [B, T]],
  ['one chunk for all rows', { chunkRows: 64 }, [B, T]],
  ['symbolic rows, chunks past the end', { chunkRows: 5, maxRows: 24 }, ['batch', 'seq']],
  ['vocabulary blocks', { chunkRows: 5, vocabBlocks: 3 }, [B, T]],
  ['one-row vocabulary blocks, symbolic rows', { chunkRows: 4, maxRows: 24, vocabBlocks: 12 }, ['batch', 'seq']],
];

test.each(cases)('matches maskedCrossEntropy on the logits: %s', async (_name, opts, dims) => {
  const [want, got] = [await run(plain, dims), await run(fused(opts), dims)];
  for (const k of ['loss', 'nll', gradName('h')]) expect(maxRelativeError(got[k], want[k])).toBeLessThan(1e-5);
  expect(Array.from(got[gradName('h')].subarray(H, 2 * H), Math.abs)).toEqual(new Array(H).fill(0)); // weight 0: no gradient (-0 or 0)
});

test('passes the gradient check (float64 hidden states and head; the loss is float32 like maskedCrossEntropy)', async () => {
  const r = await checkGradients({
    inputs: [
      { shape: [2, 3, 4] },
      { shape: [5, 4], grad: false },
      { shape: [2, 3], dtype: 'int64', values: [1, 4, 0, 2, 2, 3] },
      { shape: [2, 3], dtype: 'float32', values: [1, 1, 0, 0.5, 1, 1], grad: false },
    ],
    build: (h, w, t, wt) => linearCrossEntropy(h, w, t, wt, { chunkRows: 4, vocabBlocks: 5 }).loss,
    eps: 1e-2,
    rtol: 2e-3,
    atol: 1e-4,
  });
  expect(r.failures).toEqual([]);
  expect(r.checked).toBe(24);
});

test('asking for the head weight gradient is an error', () => {
  const g = new GraphBuilder();
  const h = g.input('h', 'float32', [2, H]);
  const w = g.input('w', 'float32', [V, H]);
  const { loss } = linearCrossEntropy(h, w, g.input('t', 'int64', [2]), g.input('wt', 'float32', [2]), { chunkRows: 1 });
  expect(() => gradients(loss, [h, w])).toThrow(/no gradient for the head weight 'w': it is frozen/);
});

test('vocabulary blocks must divide the vocabulary', () => {
  const g = new GraphBuilder();
  const build = () => linearCrossEntropy(g.input('h', 'float32', [2, H]), g.input('w', 'float32', [V, H]), g.input('t', 'int64', [2]), g.input('wt', 'float32', [2]), { chunkRows: 1, vocabBlocks: 5 });
  expect(build).toThrow(/vocabBlocks 5 must be a positive integer dividing the vocabulary size 12/);
});

test('the default vocabulary blocks: for heads 2,048 or wider, a chunk block of d logits within 4 MiB, from a divisor of the vocabulary', () => {
  expect(defaultVocabBlocks(128256, 4096, 256)).toBe(32); // Llama 3: 256 x 4,008 floats a block
  expect(defaultVocabBlocks(32000, 2048, 256)).toBe(8);
  expect(defaultVocabBlocks(50257, 2048, 256)).toBe(29); // 29 x 1,733
  expect(defaultVocabBlocks(50261, 4096, 256)).toBe(1); // prime: one product
  expect(defaultVocabBlocks(32000, 512, 256)).toBe(1); // narrow: one product
  expect(defaultVocabBlocks(12, 4096, 4)).toBe(1); // fits already
});

test('symbolic rows need maxRows', () => {
  const g = new GraphBuilder();
  const h = g.input('h', 'float32', ['n', H]);
  const build = () => linearCrossEntropy(h, g.input('w', 'float32', [V, H]), g.input('t', 'int64', ['n']), g.input('wt', 'float32', ['n']), { chunkRows: 2 });
  expect(build).toThrow(/symbolic: pass maxRows/);
});

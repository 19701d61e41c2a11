import { GraphBuilder, hostTensor, ops, Runner } from '@codistill/graph';
import { buildEncoder, Checkpoint, encodeEmbeddings, loadSafetensors, wordEmbeddings } from '../src/index.js';
import { fixture, ones, relativeError, run } from './helpers.js';

const ckpt = new Checkpoint(fixture('tiny-roberta'));
const ref = loadSafetensors(fixture('tiny-roberta', 'ref.safetensors'));

test('last hidden states match transformers for both reference sequences', async () => {
  const session = await Runner.create(buildEncoder(ckpt).toModel(), { externalDataDir: ckpt.externalDataDir });
  for (const [ids, hidden] of [['a', 'hidden_a'], ['b', 'hidden_b']]) {
    const out = await run(session, { input_ids: ref[ids], attention_mask: ones(ref[ids].dims) });
    expect(out.last_hidden_state.dims).toEqual(ref[hidden].dims);
    expect(relativeError(out.last_hidden_state.data as Float32Array, ref[hidden].data as Float32Array)).toBeLessThan(1e-4);
  }
});

test('the encoder fed soft embeddings (one-hot rows times the table) equals the ids path', async () => {
  const g = new GraphBuilder();
  const onehot = g.input('onehot', 'float32', [1, 'seq', 384]);
  const mask = g.input('attention_mask', 'int64', [1, 'seq']);
  const table = ckpt.weight(g, 'embeddings.word_embeddings.weight', 'float32');
  g.output(encodeEmbeddings(ckpt, ops.matmul(onehot, table), mask), 'hidden');
  const session = await Runner.create(g.toModel(), { externalDataDir: ckpt.externalDataDir });
  const ids = Array.from(ref.a.data as BigInt64Array, Number);
  const hot = new Float32Array(ids.length * 384);
  ids.forEach((id, t) => (hot[t * 384 + id] = 1));
  const out = await run(session, { onehot: hostTensor('float32', [1, ids.length, 384], hot), attention_mask: ones([1, ids.length]) });
  expect(relativeError(out.hidden.data as Float32Array, ref.hidden_a.data as Float32Array)).toBeLessThan(1e-4);
  expect(wordEmbeddings).toBeDefined();
});

test('right padding leaves the real tokens unchanged', async () => {
  const session = await Runner.create(buildEncoder(ckpt).toModel(), { externalDataDir: ckpt.externalDataDir });
  const ids = Array.from(ref.b.data as BigInt64Array, Number);
  const padded = [...ids, 2, 2, 2];
  const mask = [...ids.map(() => 1), 0, 0, 0];
  const out = await run(session, { input_ids: hostTensor('int64', [1, padded.length], padded), attention_mask: hostTensor('int64', [1, padded.length], mask) });
  const real = (out.last_hidden_state.data as Float32Array).subarray(0, ids.length * 64);
  expect(relativeError(real, ref.hidden_b.data as Float32Array)).toBeLessThan(1e-4);
});

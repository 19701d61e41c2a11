// The chunked head loss (linearCrossEntropy on lastHidden and headWeight) against maskedCrossEntropy
// on the logits, through the whole tiny Llama: loss and every LoRA-style adapter gradient.
import { gradients, gradName, hostTensor, linear, linearCrossEntropy, maskedCrossEntropy, mulberry32, ops, Runner, type GraphBuilder, type HostTensor, type Value } from '@codistill/graph';
import { buildCausalLm, Checkpoint, loadSafetensors, type LinearHook } from '../src/index.js';
import { fixture, ones, relativeError } from './helpers.js';

const ckpt = new Checkpoint(fixture('tiny-llama'));
const ids = loadSafetensors(fixture('tiny-llama', 'ref.safetensors')).input_ids;
const [B, T] = ids.dims;
const R = 2;

/** LoRA's math without its package: y = x W^T + (x A^T) B^T, with A and B as graph inputs. */
function adapters(): { hook: LinearHook; params: Value[] } {
  const params: Value[] = [];
  const hook: LinearHook = (module, x, weight) => {
    const y = linear(x, weight);
    if (!/(q_proj|v_proj|down_proj)$/.test(module)) return y;
    const [out, inDim] = weight.shape as number[];
    const a = x.graph.input(`${module}.A`, 'float32', [R, inDim]);
    const b = x.graph.input(`${module}.B`, 'float32', [out, R]);
    params.push(a, b);
    return ops.add(y, linear(linear(x, a), b));
  };
  return { hook, params };
}

const lossInputs = (g: GraphBuilder) => [g.input('labels', 'int64', ['batch', 'seq']), g.input('weights', 'float32', ['batch', 'seq'])] as const;

/** The loss from the full logits (attention in `queryBlocks` blocks), or in chunks from a graph without them (logits: 'none'). */
function loss(head: 'logits' | { chunkRows: number }, hook: LinearHook, queryBlocks = 1): Value {
  if (head === 'logits') {
    const lm = buildCausalLm(ckpt, { linear: hook, queryBlocks });
    return maskedCrossEntropy(lm.logits, ...lossInputs(lm.graph)).loss;
  }
  const lm = buildCausalLm(ckpt, { linear: hook, logits: 'none' });
  expect(lm.graph.outputs.map((o) => o.name)).not.toContain('logits');
  return linearCrossEntropy(lm.lastHidden, lm.headWeight, ...lossInputs(lm.graph), { ...head, maxRows: B * T }).loss;
}

async function grads(head: 'logits' | { chunkRows: number }, queryBlocks = 1): Promise<Record<string, Float32Array>> {
  const { hook, params } = adapters();
  const l = loss(head, hook, queryBlocks);
  const g = l.graph;
  gradients(g.output(l, 'loss'), params);
  const rand = mulberry32(3);
  const feeds: Record<string, HostTensor> = {
    input_ids: ids,
    attention_mask: ones(ids.dims),
    labels: hostTensor('int64', [B, T], Array.from({ length: B * T }, (_, i) => Number((ids.data as BigInt64Array)[(i + 1) % (B * T)]))),
    weights: hostTensor('float32', [B, T], Array.from({ length: B * T }, (_, i) => (i % 3 === 0 ? 0 : 1))),
  };
  for (const p of params) feeds[p.name] = hostTensor('float32', p.shape as number[], Array.from({ length: (p.shape as number[]).reduce((x, y) => x * y) }, () => (rand() - 0.5) * 0.2));
  const runner = await Runner.create(g.toModel(), { externalDataDir: ckpt.externalDataDir });
  const { outputs } = await runner.run(feeds, ['loss', ...params.map((p) => gradName(p.name))]);
  await runner.release();
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, v.data as Float32Array]));
}

test.each([16, 20])('loss and adapter gradients match the logits path (chunks of %i rows)', async (chunkRows) => {
  const [want, got] = [await grads('logits'), await grads({ chunkRows })];
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  expect(Object.keys(got)).toHaveLength(1 + 2 * 3 * 2);
  for (const k of Object.keys(want)) expect(relativeError(got[k], want[k])).toBeLessThan(1e-5);
});

test('attention in 3 causal query blocks gives the same loss and adapter gradients', async () => {
  const [want, got] = [await grads('logits'), await grads('logits', 3)];
  expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
  for (const k of Object.keys(want)) expect(relativeError(got[k], want[k])).toBeLessThan(1e-5);
});

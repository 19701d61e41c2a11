// Gradient checkpointing on the tiny Llama: every recomputation policy, with and without the
// chunked cross-entropy, gives the plain graph's loss and LoRA gradients, dropout included (a
// recomputed layer that drew new masks would compute another function).
import { dropoutFeeds, GraphBuilder, hostTensor, maxRelativeError, mulberry32, TrainStep, type HostTensor, type RecomputePolicy } from '@codistill/graph';
import { buildCausalLm, Checkpoint } from '@codistill/models';
import { initLoraWeights, loraHook, parseLoraConfig } from '@codistill/lora';
import { chunkedTokenLoss, shiftLabels, tokenLoss } from '@codistill/losses';
import { modelsFixture } from './helpers.js';

const ckpt = new Checkpoint(modelsFixture('tiny-llama'));
const config = parseLoraConfig({ r: 4, lora_alpha: 8, lora_dropout: 0.3, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'down_proj'] });
const [B, T] = [2, 24];

function feeds(seed: number): Record<string, HostTensor> {
  const rand = mulberry32(1);
  const ids = Array.from({ length: B * T }, () => Math.floor(rand() * 384));
  const mask = Array.from({ length: B * T }, (_, i) => (i >= T && i % T < 5 ? 0 : 1)); // row 1 left-padded
  const { labels, weights } = shiftLabels(ids, mask, B, T);
  return {
    input_ids: hostTensor('int64', [B, T], ids),
    attention_mask: hostTensor('int64', [B, T], mask),
    labels: hostTensor('int64', [B, T], labels),
    loss_weights: hostTensor('float32', [B, T], weights),
    ...dropoutFeeds(seed),
  };
}

async function step(policy: RecomputePolicy, chunked: boolean) {
  const { hook, modules } = loraHook(config, { training: true });
  const lm = buildCausalLm(ckpt, { linear: hook, graph: new GraphBuilder('recompute'), logits: chunked ? 'none' : 'all' });
  const labels = lm.graph.input('labels', 'int64', ['batch', 'seq']);
  const weights = lm.graph.input('loss_weights', 'float32', ['batch', 'seq']);
  const ce = chunked ? chunkedTokenLoss(lm.lastHidden, lm.headWeight, labels, weights, { chunkRows: 20, maxRows: B * T }) : tokenLoss(lm.logits!, labels, weights);
  const params = modules.flatMap((m) => [m.A, m.B]);
  const forwardNodes = lm.graph.nodes.length;
  const train = await TrainStep.create(ce.loss, params, { externalDataDir: ckpt.externalDataDir, threads: 1, recompute: [{ policy, segments: lm.layers }] });
  // B starts at zero in PEFT; random values make every gradient depend on the masks.
  const values = initLoraWeights(config, modules, 3);
  const rand = mulberry32(2);
  for (const m of modules) values[m.B.name] = Float32Array.from(values[m.B.name], () => rand() - 0.5);
  const results = [await train.run(values, feeds(11)), await train.run(values, feeds(12))];
  await train.release();
  return { results, graph: lm.graph, forwardNodes };
}

describe.each([false, true])('chunked cross-entropy %s', (chunked) => {
  let plain: Awaited<ReturnType<typeof step>>['results'];
  beforeAll(async () => {
    plain = (await step('none', false)).results;
  });

  test.each(['none', 'layer', 'selective'] as RecomputePolicy[])('%s: loss and every LoRA gradient equal the plain graph within 1e-5', async (policy) => {
    const { results, graph } = await step(policy, chunked);
    if (policy !== 'none') expect(graph.nodes.filter((n) => n.name.endsWith('.recompute')).length).toBeGreaterThan(20);
    results.forEach((r, k) => {
      expect(Math.abs(r.loss - plain[k].loss) / Math.abs(plain[k].loss)).toBeLessThan(1e-5);
      for (const [name, grad] of Object.entries(plain[k].grads)) expect(maxRelativeError(r.grads[name], grad)).toBeLessThan(1e-5);
    });
    // Another seed draws other masks: the gradients above depend on them.
    expect(maxRelativeError(results[1].grads[Object.keys(plain[0].grads)[0]], plain[0].grads[Object.keys(plain[0].grads)[0]])).toBeGreaterThan(1e-3);
  });
});

test('under "layer" no backward node reads a layer activation the forward made; "selective" reads only projections', async () => {
  const readByBackward = async (policy: RecomputePolicy) => {
    const { graph, forwardNodes } = await step(policy, false);
    const layerValues = new Map<string, string>();
    const { layers } = buildCausalLm(ckpt, { linear: loraHook(config, { training: true }).hook, graph: new GraphBuilder('names') });
    layers.flat().forEach((n) => n.outputs.forEach((o) => layerValues.set(o, n.op)));
    // Everything added after the forward pass: gradients, recomputations and their ordering nodes.
    const backward = graph.nodes.slice(forwardNodes);
    const read = new Set(backward.flatMap((n) => n.inputs).filter((i) => layerValues.has(i)));
    return [...read].map((v) => layerValues.get(v));
  };
  // A layer's output is the next layer's input: kept; and the runtime shape of the layer's
  // activations, which every reshape of the same dims shares (an int64 vector); nothing else.
  expect(new Set(await readByBackward('layer'))).toEqual(new Set(['Add', 'Shape']));
  expect(new Set(await readByBackward('selective'))).toEqual(new Set(['Add', 'Gemm', 'Shape']));
});

// pnpm bench: engine timings as JSON lines.
//  1. Build + differentiate + serialise a 32-layer transformer-sized graph (Llama-3.1-8B shapes,
//     weights as external data, LoRA-style trainable inputs on q/v) — the graph work a training
//     run pays once.
//  2. Forward + backward step of a mid-size MLP on CPU.
import {
  GraphBuilder,
  TrainStep,
  gradients,
  hostTensor,
  modelToBytes,
  ops,
  rmsNorm,
  silu,
  type Params,
  type Value,
} from '../src/index.js';

const threads = Number(process.env.THREADS ?? 2);

function transformerGraph(layers: number) {
  const [H, heads, kvHeads, F, V, r] = [4096, 32, 8, 14336, 128256, 16];
  const hd = H / heads;
  const g = new GraphBuilder('llama-shaped');
  let offset = 0;
  const weight = (name: string, dims: number[]) => {
    const length = dims.reduce((a, b) => a * b, 1) * 2;
    const v = g.initializer({ name, dtype: 'float32', dims, external: { location: 'model.safetensors', offset, length } });
    offset += length;
    return v;
  };
  const lora: Value[] = [];
  const linear = (name: string, x: Value, out: number, adapt: boolean) => {
    let y = ops.matmul(x, ops.transpose(weight(`${name}.weight`, [out, x.shape[2] as number]), [1, 0]));
    if (adapt) {
      const a = g.input(`${name}.lora_A`, 'float32', [r, x.shape[2] as number]);
      const b = g.input(`${name}.lora_B`, 'float32', [out, r]);
      lora.push(a, b);
      y = ops.add(y, ops.mul(ops.matmul(ops.matmul(x, ops.transpose(a, [1, 0])), ops.transpose(b, [1, 0])), 2));
    }
    return y;
  };
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = g.input('attn_bias', 'float32', ['batch', 1, 'seq', 'seq']);
  let h = ops.gather(weight('embed', [V, H]), ids);
  for (let l = 0; l < layers; l++) {
    g.scope(`layers.${l}`, () => {
      const x = rmsNorm(h, weight(`l${l}.ln1`, [H]), 1e-5);
      const q = ops.transpose(ops.reshape(linear(`l${l}.q`, x, H, true), [0, 0, heads, hd]), [0, 2, 1, 3]);
      const k = ops.transpose(ops.reshape(linear(`l${l}.k`, x, kvHeads * hd, false), [0, 0, kvHeads, 1, hd]), [0, 2, 3, 1, 4]);
      const v = ops.transpose(ops.reshape(linear(`l${l}.v`, x, kvHeads * hd, true), [0, 0, kvHeads, 1, hd]), [0, 2, 3, 1, 4]);
      const kk = ops.reshape(ops.expand(k, [1, 1, heads / kvHeads, 1, 1]), [0, heads, -1, hd]);
      const vv = ops.reshape(ops.expand(v, [1, 1, heads / kvHeads, 1, 1]), [0, heads, -1, hd]);
      const s = ops.add(ops.mul(ops.matmul(q, ops.transpose(kk, [0, 1, 3, 2])), 1 / Math.sqrt(hd)), mask);
      const o = ops.reshape(ops.transpose(ops.matmul(ops.softmax(s, -1), vv), [0, 2, 1, 3]), [0, 0, H]);
      h = ops.add(h, linear(`l${l}.o`, o, H, false));
      const y = rmsNorm(h, weight(`l${l}.ln2`, [H]), 1e-5);
      const up = ops.mul(silu(linear(`l${l}.gate`, y, F, false)), linear(`l${l}.up`, y, F, false));
      h = ops.add(h, linear(`l${l}.down`, up, H, false));
    });
  }
  const logits = linear('lm_head', rmsNorm(h, weight('norm', [H]), 1e-5), V, false);
  const targets = g.input('targets', 'int64', ['batch', 'seq']);
  const weights = g.input('loss_weights', 'float32', ['batch', 'seq']);
  const logp = ops.logSoftmax(logits, -1);
  const nll = ops.neg(ops.squeeze(ops.gatherElements(logp, ops.unsqueeze(targets, [-1]), -1), [-1]));
  const loss = g.output(ops.div(ops.reduceSum(ops.mul(nll, weights), undefined, false), ops.reduceSum(weights, undefined, false)), 'loss');
  return { g, loss, lora };
}

async function graphBench() {
  const t0 = performance.now();
  const { g, loss, lora } = transformerGraph(32);
  const t1 = performance.now();
  const forwardNodes = g.nodes.length;
  gradients(loss, lora);
  const t2 = performance.now();
  const bytes = modelToBytes(g.toModel());
  const t3 = performance.now();
  console.log(
    JSON.stringify({
      bench: 'backward_graph_32_layers',
      shape: 'llama-3.1-8b (hidden 4096, 32 layers, GQA 32/8, MLP 14336, vocab 128256), LoRA r=16 on q,v',
      forward_nodes: forwardNodes,
      total_nodes: g.nodes.length,
      trainable_tensors: lora.length,
      build_forward_ms: +(t1 - t0).toFixed(1),
      autodiff_ms: +(t2 - t1).toFixed(1),
      serialise_ms: +(t3 - t2).toFixed(1),
      total_ms: +(t3 - t0).toFixed(1),
      model_bytes: bytes.length,
    }),
  );
}

async function mlpBench() {
  const [B, D, Hd] = [256, 1024, 4096];
  const g = new GraphBuilder('mlp');
  const x = g.input('x', 'float32', [B, D]);
  const y = g.input('y', 'float32', [B, D]);
  const dims: Record<string, number[]> = { w1: [D, Hd], w2: [Hd, Hd], w3: [Hd, D] };
  const p = Object.fromEntries(Object.entries(dims).map(([n, d]) => [n, g.input(n, 'float32', d)]));
  const out = ops.matmul(ops.relu(ops.matmul(ops.relu(ops.matmul(x, p.w1)), p.w2)), p.w3);
  const err = ops.sub(out, y);
  const step = await TrainStep.create(ops.reduceMean(ops.mul(err, err), undefined, false), Object.values(p), { threads });
  const params: Params = Object.fromEntries(
    Object.entries(dims).map(([n, d]) => [n, Float32Array.from({ length: d[0] * d[1] }, (_, i) => Math.sin(i) * 0.01)]),
  );
  const feeds = {
    x: hostTensor('float32', [B, D], Float32Array.from({ length: B * D }, (_, i) => Math.cos(i))),
    y: hostTensor('float32', [B, D], new Float32Array(B * D)),
  };
  await step.run(params, feeds);
  const n = 5;
  const t0 = performance.now();
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, (await step.run(params, feeds)).report.peakRssMiB);
  const ms = (performance.now() - t0) / n;
  const flops = 3 * 2 * B * (D * Hd + Hd * Hd + Hd * D); // forward + two backward matmuls per layer
  console.log(
    JSON.stringify({
      bench: 'mlp_forward_backward_cpu',
      shape: `batch ${B}, ${D}->${Hd}->${Hd}->${D}, relu, MSE`,
      threads,
      step_ms: +ms.toFixed(1),
      gflops: +(flops / ms / 1e6).toFixed(1),
      peak_rss_mib: +peak.toFixed(0),
    }),
  );
  await step.release();
}

await graphBench();
await mlpBench();

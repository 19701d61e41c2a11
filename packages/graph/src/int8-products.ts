// Frozen weights in 8 bits (opt-in, CPU), as bitsandbytes' LLM.int8() layers that PEFT trains 8-bit
// LoRA on: each product x W^T of a frozen weight becomes x quantised per row to 8 bits times W
// quantised per output to 7 bits, summed exactly in int32 (MatMulInteger) and scaled back, except
// for the batch's largest input channels, which are multiplied in float32 (LLM.int8's decomposition,
// Dettmers et al. 2022: a few hidden channels of trained LLMs run far larger than the rest, and one
// row scale for both would leave the rest a handful of levels); the outlier channels read the weight
// dequantised. A weight whose every reader is such a product or the backward pass's g W is held in
// 8 bits only: g W reads it dequantised too (as bitsandbytes' backward does), so the gradients are
// float32 ones through the 8-bit weights, and the float weight is never loaded.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readExactly, writeFileDurable } from '@codistill/util';
import { GRAD_SCOPE } from './autodiff.js';
import { BYTES_PER_ELEMENT, fromBytes, halfToFloat32, isHalf, ONNX_DTYPE } from './dtype.js';
import { externalPath } from './external-path.js';
import type { ModelIR, NodeDef, TensorInit } from './ir.js';

export interface Int8ProductOptions {
  /** Folder the quantised weights are written to once and read from after (one file per weight). */
  cacheDir: string;
  /** Folder relative external data locations are relative to (RunnerOptions.externalDataDir). */
  externalDataDir?: string;
}

/**
 * Weights take 7 bits (|q| <= 63), not 8: without AVX-VNNI, x86's u8 x s8 kernel (VPMADDUBSW)
 * adds two products in a saturating int16, which 255 * 127 * 2 overflows and 255 * 63 * 2 does
 * not. So the integer sums are exact on every processor, and the results equal everywhere.
 */
const WEIGHT_LEVELS = 63;
/**
 * Input channels a product keeps in float32: those with the batch's largest |x|, one in 256 and at
 * least 8 (16 at Llama-3.1-8B's width 4,096, 56 of the MLP's 14,336): LLM.int8 found up to a few
 * dozen outlier channels in 13B models. Their float32 product costs ~1/256 of the integer one.
 */
export const outlierChannels = (inputs: number): number => Math.min(inputs, Math.max(8, Math.ceil(inputs / 256)));
/** Activations: symmetric per row, |q| <= 127, stored as uint8 with the zero point 128. */
const ACTIVATION_LEVELS = 127;
const ACTIVATION_ZERO = 128;
/** Changes whenever the cached files' layout or rounding does, so old files are not read. */
const SCHEME = 'int8-products-v1: int8 [in, out] row-major, then float32 scales [out]; round half away from zero';

/** What the pass did: for run reports and tests. */
export interface Int8ProductReport {
  /** Gemm nodes rewritten (a weight read by several, e.g. recomputed layers, counts each). */
  products: number;
  /** Distinct weights quantised. */
  weights: number;
  /** Of those, the ones held in 8 bits only (every reader rewritten): their float copy is never loaded. */
  int8Only: number;
  /** Weights quantised in this call (the rest came from the cache). */
  written: number;
}

/**
 * `model` with each Gemm x W^T of a float32 initializer W (read directly or through a Cast from a
 * stored dtype) computed in 8-bit integers but for its outlier channels (int8Product). A weight
 * that nothing else reads than these and the backward pass's products g W is held in 8 bits only:
 * those g W read its 8-bit values (dequantisedProduct), and its initializer and Casts are dropped.
 * Products of graph inputs (LoRA's trainable A and B) are untouched. Quantised weights are external
 * data under `cacheDir`, so a model of any size stays under protobuf's 2 GB.
 */
export function quantizeFrozenProducts(model: ModelIR, opts: Int8ProductOptions): { model: ModelIR; report: Int8ProductReport } {
  const g = model.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const producers = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const forward = new Map<NodeDef, TensorInit>();
  for (const node of g.nodes) {
    const weight = frozenWeight(node, inits, producers);
    if (weight) forward.set(node, weight);
  }
  const frozen = new Set([...forward.values()].map((t) => t.name));
  // g W of a frozen weight (directly or through its Cast).
  const backwardWeight = (node: NodeDef) => (isBackwardProduct(node) ? storedWeight(node.inputs[1], inits, producers) : undefined);
  const backward = new Map(g.nodes.flatMap((n) => (frozen.has(backwardWeight(n)?.name ?? '') ? [[n, backwardWeight(n)!] as const] : [])));
  const dropped = unreadWeights(g, frozen, (n) => forward.has(n) || backward.has(n));
  // A weight that stays serves its own backward products: dequantising it there would only cost a
  // float copy per product (the chunked cross-entropy's head has one per chunk).
  for (const [node, weight] of backward) if (!dropped.weights.has(weight.name)) backward.delete(node);
  const quantised = new Map<string, QuantisedWeight>();
  const report: Int8ProductReport = { products: 0, weights: 0, int8Only: 0, written: 0 };
  const quantise = (weight: TensorInit) => {
    let q = quantised.get(weight.name);
    if (!q) {
      q = quantisedWeight(weight, opts);
      report.written += q.written ? 1 : 0;
      quantised.set(weight.name, q);
    }
    return q;
  };
  const constants = new Map<string, TensorInit>();
  const nodes = g.nodes.flatMap((node) => {
    const weight = forward.get(node);
    if (weight) {
      report.products++;
      return int8Product(node, quantise(weight), constants);
    }
    const read = backward.get(node);
    if (read) return dequantisedProduct(node, quantise(read), constants);
    return dropped.casts.has(node) ? [] : [node];
  });
  Object.assign(report, { weights: quantised.size, int8Only: dropped.weights.size });
  const kept = g.initializers.filter((t) => !dropped.weights.has(t.name));
  const added = [...quantised.values()].flatMap((q) => [q.values, q.scales]);
  return { model: { ...model, graph: { ...g, nodes, initializers: [...kept, ...added, ...constants.values()] } }, report };
}

/** The float32 weight W of a forward Gemm computing x W^T (alpha 1), if W is an initializer. */
function frozenWeight(node: NodeDef, inits: Map<string, TensorInit>, producers: Map<string, NodeDef>): TensorInit | undefined {
  // The backward pass has such products too (g W^T for a forward x W): they are no forward products.
  if (node.name.startsWith(`${GRAD_SCOPE}/`)) return undefined;
  if (node.op !== 'Gemm' || node.attrs.transB !== 1 || node.attrs.transA || (node.attrs.alpha ?? 1) !== 1 || (node.attrs.beta ?? 1) !== 1) return undefined;
  const t = storedWeight(node.inputs[1], inits, producers);
  return t && t.dims.length === 2 && (t.dtype === 'float32' || isHalf(t.dtype)) ? t : undefined;
}

/** The initializer a value is, directly or through a Cast to float32 (a stored 16-bit weight). */
function storedWeight(value: string, inits: Map<string, TensorInit>, producers: Map<string, NodeDef>): TensorInit | undefined {
  const cast = producers.get(value);
  if (cast && !(cast.op === 'Cast' && cast.attrs.to === ONNX_DTYPE.float32)) return undefined;
  return inits.get(cast ? cast.inputs[0] : value);
}

/** Whether `node` is a plain product g W of two inputs: the backward pass's for a forward x W^T. */
const isBackwardProduct = (node: NodeDef): boolean =>
  node.op === 'Gemm' && node.inputs.length === 2 && !node.attrs.transA && !node.attrs.transB && (node.attrs.alpha ?? 1) === 1;

/**
 * The frozen weights no node will read once the products are rewritten, and their Casts: every
 * reader of the weight (directly or through a Cast) is `rewritten`, and none of them is a graph
 * output. (The chunked cross-entropy's head is also read by a Gather of the label rows, and stays.)
 */
function unreadWeights(g: ModelIR['graph'], frozen: Set<string>, rewritten: (n: NodeDef) => boolean): { weights: Set<string>; casts: Set<NodeDef> } {
  const outputs = new Set(g.outputs.map((o) => o.name));
  const readers = new Map<string, NodeDef[]>();
  for (const n of g.nodes) {
    for (const input of n.inputs) {
      const list = readers.get(input);
      if (list) list.push(n);
      else readers.set(input, [n]);
    }
  }
  const unread = (value: string) => !outputs.has(value) && (readers.get(value) ?? []).every(rewritten);
  const castOnly = (n: NodeDef) => n.op === 'Cast' && n.outputs.every(unread);
  const weights = new Set([...frozen].filter((w) => !outputs.has(w) && (readers.get(w) ?? []).every((n) => rewritten(n) || castOnly(n))));
  const casts = new Set([...weights].flatMap((w) => (readers.get(w) ?? []).filter(castOnly)));
  return { weights, casts };
}

/**
 * g W with W [out, in] held as s [out] and q [in, out] (W[o, i] = s[o] q[i, o], as bitsandbytes
 * dequantises in its backward): (g s) q^T, q cast to float32 for the product, a transient copy.
 * The Cast reads q through a Reshape to its own shape plus a zero computed from g (as graph's
 * `after` orders work), so it runs when g exists: a Cast of the initializer alone is constant
 * folded when the session is made, and the session would hold every weight's float32 copy.
 */
function dequantisedProduct(gemm: NodeDef, q: QuantisedWeight, constants: Map<string, TensorInit>): NodeDef[] {
  const g = gemm.inputs[0];
  const at = (step: string) => `${gemm.name}/int8/${step}`;
  const node = (step: string, op: string, ins: string[], attrs: NodeDef['attrs'] = {}): NodeDef => ({ name: at(step), op, inputs: ins, outputs: [at(step)], attrs });
  const ints = (name: string, values: bigint[]) => int64s(constants, name, values);
  return [
    node('g_flat', 'Reshape', [g, ints('flat', [-1n])]),
    node('g_first', 'Slice', [at('g_flat'), ints('rows_axis', [0n]), ints('one', [1n])]),
    // Through int64 times 0: zero even when g holds NaN or infinity.
    node('g_int', 'Cast', [at('g_first')], { to: ONNX_DTYPE.int64 }),
    node('zero', 'Mul', [at('g_int'), ints('zero', [0n])]),
    node('shape', 'Add', [ints(`shape_${q.values.dims.join('x')}`, q.values.dims.map(BigInt)), at('zero')]),
    node('q', 'Reshape', [q.values.name, at('shape')]),
    node('float', 'Cast', [at('q')], { to: ONNX_DTYPE.float32 }),
    node('scaled', 'Mul', [g, q.scales.name]),
    { name: gemm.name, op: 'Gemm', inputs: [at('scaled'), at('float')], outputs: gemm.outputs, attrs: { transB: 1 } },
  ];
}

/** A shared int64 constant (see shared). */
const int64s = (constants: Map<string, TensorInit>, name: string, values: bigint[]): string =>
  shared(constants, `int8/${name}`, () => ({ dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values) }));

/** The constant initializers the rewritten products share, made once per graph. */
function shared(constants: Map<string, TensorInit>, name: string, make: () => Omit<TensorInit, 'name'>): string {
  if (!constants.has(name)) constants.set(name, { name, ...make() });
  return name;
}

/**
 * The nodes replacing Gemm(x, W, transB, bias?): the k channels with the largest |x| over the batch
 * (outlierChannels) multiplied in float32 with the dequantised weight, x[:, i] (s q[i, :]); the rest, zeroed in x, as s = max|x|
 * / 127 per row, q = round(x / s) + 128 as uint8, MatMulInteger(q, Wq, 128) s scales; their sum
 * (+ bias). Named after the Gemm, its output kept.
 */
function int8Product(gemm: NodeDef, q: QuantisedWeight, constants: Map<string, TensorInit>): NodeDef[] {
  const [x, , bias] = gemm.inputs;
  const y = gemm.outputs[0];
  const inputs = q.values.dims[0];
  const k = outlierChannels(inputs);
  const at = (step: string) => `${gemm.name}/int8/${step}`;
  const node = (step: string, op: string, ins: string[], attrs: NodeDef['attrs'] = {}, out = at(step)): NodeDef => ({ name: at(step), op, inputs: ins, outputs: [out], attrs });
  const f32 = (v: number) => ({ dtype: 'float32' as const, dims: [], data: Float32Array.of(v) });
  const ints = (name: string, values: bigint[]) => int64s(constants, name, values);
  const levels = shared(constants, 'int8/activation_levels', () => f32(ACTIVATION_LEVELS));
  // A row of zeros gets this scale instead of 0, so it quantises to zeros, not NaN.
  const tiny = shared(constants, 'int8/tiny', () => f32(1e-30));
  const zeroF = shared(constants, 'int8/zero_float', () => f32(ACTIVATION_ZERO));
  const zeroU8 = shared(constants, 'int8/zero_uint8', () => ({ dtype: 'uint8', dims: [], data: Uint8Array.of(ACTIVATION_ZERO) }));
  const ones = shared(constants, `int8/ones_${inputs}`, () => ({ dtype: 'float32', dims: [inputs], data: new Float32Array(inputs).fill(1) }));
  const zeros = shared(constants, `int8/zeros_${k}`, () => ({ dtype: 'float32', dims: [k], data: new Float32Array(k) }));
  const withBias = bias ? [node('bias', 'Add', [at('sum'), bias], {}, y)] : [];
  return [
    node('abs', 'Abs', [x]),
    // The outlier channels: their float32 product, and a mask that zeroes them for the integer one.
    node('channel_max', 'ReduceMax', [at('abs'), ints('rows_axis', [0n])], { keepdims: 0 }),
    { name: at('top'), op: 'TopK', inputs: [at('channel_max'), ints(`k_${k}`, [BigInt(k)])], outputs: [at('top_values'), at('top')], attrs: { axis: -1, largest: 1, sorted: 0 } },
    node('x_outliers', 'Gather', [x, at('top')], { axis: 1 }),
    // Their rows of the 8-bit weight [in, out], dequantised (the float weight may not be loaded).
    node('q_outliers', 'Gather', [q.values.name, at('top')], { axis: 0 }),
    node('q_float', 'Cast', [at('q_outliers')], { to: ONNX_DTYPE.float32 }),
    node('w_outliers', 'Mul', [at('q_float'), q.scales.name]),
    node('outliers', 'Gemm', [at('x_outliers'), at('w_outliers')]),
    node('top_rows', 'Unsqueeze', [at('top'), ints('last_axis', [-1n])]),
    node('mask', 'ScatterND', [ones, at('top_rows'), zeros]),
    node('rest', 'Mul', [x, at('mask')]),
    node('rest_abs', 'Mul', [at('abs'), at('mask')]),
    // The rest per row in 8 bits.
    node('max', 'ReduceMax', [at('rest_abs'), ints('last_axis', [-1n])], { keepdims: 1 }),
    node('step', 'Div', [at('max'), levels]),
    node('scale', 'Add', [at('step'), tiny]),
    node('ratio', 'Div', [at('rest'), at('scale')]),
    node('round', 'Round', [at('ratio')]),
    node('shift', 'Add', [at('round'), zeroF]),
    node('q', 'Cast', [at('shift')], { to: ONNX_DTYPE.uint8 }),
    node('int32', 'MatMulInteger', [at('q'), q.values.name, zeroU8]),
    node('float', 'Cast', [at('int32')], { to: ONNX_DTYPE.float32 }),
    node('rows', 'Mul', [at('float'), at('scale')]),
    node('scaled', 'Mul', [at('rows'), q.scales.name]),
    node('sum', 'Add', [at('scaled'), at('outliers')], {}, bias ? at('sum') : y),
    ...withBias,
  ];
}

/** W [out, in] as float32, read from its initializer's data or external file. */
function readWeight(t: TensorInit, opts: Int8ProductOptions): Float32Array {
  let data = t.data;
  if (!data) {
    const file = externalPath(t, opts.externalDataDir);
    const fd = fs.openSync(file, 'r');
    try {
      data = fromBytes(t.dtype, readExactly(fd, t.external!.length, t.external!.offset, file));
    } finally {
      fs.closeSync(fd);
    }
  }
  return isHalf(t.dtype) ? halfToFloat32(t.dtype, data as Uint16Array) : (data as Float32Array);
}

/** The cache file's name: the weight's bytes as located (file, place, size, last change) and the scheme. */
function cacheKey(t: TensorInit, opts: Int8ProductOptions): string {
  const h = createHash('sha256').update(SCHEME).update(JSON.stringify([t.name, t.dtype, t.dims]));
  if (t.external) {
    const file = fs.realpathSync(externalPath(t, opts.externalDataDir));
    const st = fs.statSync(file);
    h.update(JSON.stringify([file, t.external.offset, t.external.length, st.size, st.mtimeMs]));
  } else {
    h.update(new Uint8Array(t.data!.buffer, t.data!.byteOffset, t.data!.byteLength));
  }
  return h.digest('hex').slice(0, 32);
}

/**
 * W [out, in] quantised per output: scales[o] = max|W[o]| / 63 and values [in, out] (MatMulInteger
 * multiplies x [rows, in] by it as stored) = round(W / scale), written to `cacheDir` once.
 */
function quantisedWeight(t: TensorInit, opts: Int8ProductOptions): QuantisedWeight {
  const [out, inDim] = t.dims;
  // Absolute: the session resolves relative locations against the model's weights, not the working folder.
  const file = path.resolve(opts.cacheDir, `${cacheKey(t, opts)}.int8`);
  const valueBytes = out * inDim;
  const length = valueBytes + out * BYTES_PER_ELEMENT.float32;
  const exists = fs.existsSync(file) && fs.statSync(file).size === length;
  if (!exists) writeQuantised(file, readWeight(t, opts), out, inDim);
  return {
    values: { name: `${t.name}.int8`, dtype: 'int8', dims: [inDim, out], external: { location: file, offset: 0, length: valueBytes } },
    scales: { name: `${t.name}.int8_scales`, dtype: 'float32', dims: [out], external: { location: file, offset: valueBytes, length: out * 4 } },
    written: !exists,
  };
}

interface QuantisedWeight {
  values: TensorInit;
  scales: TensorInit;
  /** Whether this call wrote the file (else the cache had it). */
  written: boolean;
}

/** Transposed in blocks of TILE x TILE, so the reads and writes both stay within cached lines. */
const TILE = 64;

function writeQuantised(file: string, w: Float32Array, out: number, inDim: number): void {
  const scales = new Float32Array(out);
  const inverse = new Float32Array(out);
  for (let o = 0; o < out; o++) {
    let max = 0;
    for (let i = o * inDim, end = i + inDim; i < end; i++) max = Math.max(max, Math.abs(w[i]));
    scales[o] = max > 0 ? max / WEIGHT_LEVELS : 1;
    inverse[o] = 1 / scales[o];
  }
  const values = new Int8Array(out * inDim);
  for (let o0 = 0; o0 < out; o0 += TILE) {
    for (let i0 = 0; i0 < inDim; i0 += TILE) {
      for (let o = o0; o < Math.min(o0 + TILE, out); o++) {
        for (let i = i0; i < Math.min(i0 + TILE, inDim); i++) {
          // Clamped: max / scale can round a hair above 63 in float32.
          const v = Math.round(Math.abs(w[o * inDim + i]) * inverse[o]);
          values[i * out + o] = Math.sign(w[o * inDim + i]) * Math.min(v, WEIGHT_LEVELS);
        }
      }
    }
  }
  // Durably, whole or not at all: a file cut short by a crash or a full disk never passes for the cache.
  writeFileDurable(file, [new Uint8Array(values.buffer), new Uint8Array(scales.buffer)]);
}

// Frozen weights' forward products in 8-bit integers (opt-in, CPU): each product x W^T of a frozen
// weight becomes x quantised per row to 8 bits times W quantised per output to 7 bits, summed
// exactly in int32 (MatMulInteger) and scaled back, except for the batch's largest input channels,
// which are multiplied in float32 (LLM.int8's decomposition, Dettmers et al. 2022: a few hidden
// channels of trained LLMs run far larger than the rest, and one row scale for both would leave the
// rest a handful of levels). The graph's gradients are left as they are: its backward products
// still read the float32 weight, so d x = g W is the float32 gradient taken at the quantised forward
// (a straight-through estimate, as SwitchBack and bitsandbytes' int8 layers).
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
  /** Weights quantised in this call (the rest came from the cache). */
  written: number;
}

/**
 * `model` with each Gemm x W^T of a float32 initializer W (read directly or through a Cast from a
 * stored dtype) computed in 8-bit integers but for its outlier channels (int8Product); products of
 * graph inputs (LoRA's trainable A and B) and the backward pass's (autodiff's grad/ scope) are
 * untouched. Quantised weights are external data under `cacheDir`, so a model of any size stays
 * under protobuf's 2 GB.
 */
export function quantizeFrozenProducts(model: ModelIR, opts: Int8ProductOptions): { model: ModelIR; report: Int8ProductReport } {
  const g = model.graph;
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const producers = new Map(g.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const quantised = new Map<string, QuantisedWeight>();
  const report: Int8ProductReport = { products: 0, weights: 0, written: 0 };
  const constants = new Map<string, TensorInit>();
  const nodes = g.nodes.flatMap((node) => {
    const weight = frozenWeight(node, inits, producers);
    if (!weight) return [node];
    let q = quantised.get(weight.name);
    if (!q) {
      q = quantisedWeight(weight, opts);
      report.written += q.written ? 1 : 0;
      quantised.set(weight.name, q);
    }
    report.products++;
    return int8Product(node, q, constants);
  });
  report.weights = quantised.size;
  const added = [...quantised.values()].flatMap((q) => [q.values, q.scales]);
  return { model: { ...model, graph: { ...g, nodes, initializers: [...g.initializers, ...added, ...constants.values()] } }, report };
}

/** The float32 weight W of a forward Gemm computing x W^T (alpha 1), if W is an initializer. */
function frozenWeight(node: NodeDef, inits: Map<string, TensorInit>, producers: Map<string, NodeDef>): TensorInit | undefined {
  // The backward pass has such products too (g W^T for a forward x W): gradients stay float32.
  if (node.name.startsWith(`${GRAD_SCOPE}/`)) return undefined;
  if (node.op !== 'Gemm' || node.attrs.transB !== 1 || node.attrs.transA || (node.attrs.alpha ?? 1) !== 1 || (node.attrs.beta ?? 1) !== 1) return undefined;
  const b = node.inputs[1];
  const cast = producers.get(b);
  if (cast && !(cast.op === 'Cast' && cast.attrs.to === ONNX_DTYPE.float32)) return undefined;
  const t = inits.get(cast ? cast.inputs[0] : b);
  if (!t || t.dims.length !== 2 || !(t.dtype === 'float32' || isHalf(t.dtype))) return undefined;
  return t;
}

/** The constant initializers the rewritten products share, made once per graph. */
function shared(constants: Map<string, TensorInit>, name: string, make: () => Omit<TensorInit, 'name'>): string {
  if (!constants.has(name)) constants.set(name, { name, ...make() });
  return name;
}

/**
 * The nodes replacing Gemm(x, W, transB, bias?): the k channels with the largest |x| over the batch
 * (outlierChannels) multiplied in float32, x[:, i] W[:, i]^T; the rest, zeroed in x, as s = max|x|
 * / 127 per row, q = round(x / s) + 128 as uint8, MatMulInteger(q, Wq, 128) s scales; their sum
 * (+ bias). Named after the Gemm, its output kept.
 */
function int8Product(gemm: NodeDef, q: QuantisedWeight, constants: Map<string, TensorInit>): NodeDef[] {
  const [x, w, bias] = gemm.inputs;
  const y = gemm.outputs[0];
  const inputs = q.values.dims[0];
  const k = outlierChannels(inputs);
  const at = (step: string) => `${gemm.name}/int8/${step}`;
  const node = (step: string, op: string, ins: string[], attrs: NodeDef['attrs'] = {}, out = at(step)): NodeDef => ({ name: at(step), op, inputs: ins, outputs: [out], attrs });
  const f32 = (v: number) => ({ dtype: 'float32' as const, dims: [], data: Float32Array.of(v) });
  const ints = (name: string, values: bigint[]) => shared(constants, `int8/${name}`, () => ({ dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values) }));
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
    node('w_outliers', 'Gather', [w, at('top')], { axis: 1 }),
    node('outliers', 'Gemm', [at('x_outliers'), at('w_outliers')], { transB: 1 }),
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

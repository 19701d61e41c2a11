// Finite-difference checks (float64) for every VJP rule in the registry, broadcasting included.
import { checkGradients, getOp, gradients, GraphBuilder, ops, registeredOps, valueDTypes, type GradCheckInput, type GradCheckOptions, type Value } from '../src/index.js';

const positive = (v: number) => v + 1.5;
const awayFromZero = (v: number) => v + Math.sign(v) * 0.2;

type Case = [string, GradCheckOptions];

/**
 * `op` of x in float16 (x cast from float64 and back), x in eighths and a step of 1/16, which
 * float16 holds exactly: the differences are exact, and the gradient is r rounded to float16 and
 * summed, within float16's precision.
 */
function half(x: GradCheckInput, indices: GradCheckInput, op: (x: Value, i: Value) => Value): GradCheckOptions {
  const size = x.shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, k) => ((k * 5) % 16) / 8 - 1);
  return { inputs: [{ ...x, values }, indices], build: (v, i) => ops.cast(op(ops.cast(v, 'float16'), i), 'float64'), eps: 1 / 16, rtol: 4e-3, atol: 1e-3 };
}

/** x split along axis 1 into thirds by sizes computed at run time (the last third takes the rest). */
function runtimeThirds(x: Value): Value[] {
  const t = ops.shapeOf(x, 1, 2);
  const third = ops.div(t, 3);
  return ops.split(x, ops.concat([third, third, ops.sub(t, ops.mul(third, 2))], 0), 1, 3);
}

const cases: Record<string, Case[]> = {
  Abs: [['away from zero', { inputs: [{ shape: [2, 3], map: awayFromZero }], build: ops.abs }]],
  Add: [
    ['same shape', { inputs: [{ shape: [2, 3] }, { shape: [2, 3] }], build: ops.add }],
    ['broadcast both ways', { inputs: [{ shape: [2, 1, 4] }, { shape: [3, 1] }], build: ops.add }],
  ],
  Sub: [['broadcast', { inputs: [{ shape: [3] }, { shape: [2, 3] }], build: ops.sub }]],
  Mul: [['broadcast', { inputs: [{ shape: [2, 3, 1] }, { shape: [1, 4] }], build: ops.mul }]],
  Div: [['broadcast', { inputs: [{ shape: [2, 3] }, { shape: [3], map: positive }], build: ops.div }]],
  Neg: [['', { inputs: [{ shape: [5] }], build: ops.neg }]],
  Pow: [
    ['constant exponent', { inputs: [{ shape: [2, 3], map: positive }], build: (x) => ops.pow(x, 2.5) }],
    ['broadcast exponent input', { inputs: [{ shape: [2, 3], map: positive }, { shape: [3], grad: false }], build: ops.pow }],
  ],
  Sqrt: [['', { inputs: [{ shape: [4], map: positive }], build: ops.sqrt }]],
  Reciprocal: [['', { inputs: [{ shape: [4], map: positive }], build: ops.reciprocal }]],
  Exp: [['', { inputs: [{ shape: [2, 2] }], build: ops.exp }]],
  Log: [['', { inputs: [{ shape: [4], map: positive }], build: ops.log }]],
  Tanh: [['', { inputs: [{ shape: [5] }], build: ops.tanh }]],
  Sigmoid: [['', { inputs: [{ shape: [5] }], build: ops.sigmoid }]],
  // ONNX Runtime has no float64 Erf kernel on CPU: check in float32 with a matching step and tolerance.
  Erf: [['float32', { inputs: [{ shape: [5], dtype: 'float32' }], build: ops.erf, eps: 1e-2, rtol: 1e-3, atol: 1e-4 }]],
  Cos: [['', { inputs: [{ shape: [2, 3] }], build: ops.cos }]],
  Sin: [['', { inputs: [{ shape: [2, 3] }], build: ops.sin }]],
  CumSum: [
    ['axis 1', { inputs: [{ shape: [2, 4] }], build: (x) => ops.cumSum(x, 1) }],
    ['exclusive, reverse', { inputs: [{ shape: [3, 2] }], build: (x) => ops.cumSum(x, 0, { exclusive: true, reverse: true }) }],
  ],
  Relu: [['', { inputs: [{ shape: [6], map: awayFromZero }], build: ops.relu }]],
  Identity: [['', { inputs: [{ shape: [3] }], build: (x) => ops.identity(x) }]],
  Cast: [['float64 -> float32 -> float64', { inputs: [{ shape: [4] }], build: (x) => ops.cast(ops.mul(ops.cast(x, 'float32'), ops.cast(x, 'float32')), 'float64'), rtol: 1e-3, eps: 1e-3 }]],
  MatMul: [
    ['2-D', { inputs: [{ shape: [3, 4] }, { shape: [4, 2] }], build: ops.matmul }],
    ['batched with broadcast batch', { inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }], build: ops.matmul }],
    ['activations times shared weight', { inputs: [{ shape: [2, 3, 4] }, { shape: [4, 5] }], build: ops.matmul }],
    ['symbolic batch', { inputs: [{ shape: [2, 3, 4], declared: ['b', 't', 4] }, { shape: [4, 5] }], build: ops.matmul }],
    // 1-D operands, promoted as numpy's matmul promotes them.
    ['vector times matrix', { inputs: [{ shape: [4] }, { shape: [4, 2] }], build: ops.matmul }],
    ['matrix times vector', { inputs: [{ shape: [3, 4] }, { shape: [4] }], build: ops.matmul }],
    ['vector times vector', { inputs: [{ shape: [4] }, { shape: [4] }], build: ops.matmul }],
    ['vector times batched matrices', { inputs: [{ shape: [4] }, { shape: [2, 4, 3] }], build: ops.matmul }],
    ['batched activations times vector', { inputs: [{ shape: [2, 3, 4], declared: ['b', 't', 4] }, { shape: [4] }], build: ops.matmul }],
  ],
  Gemm: [
    ['plain with bias', { inputs: [{ shape: [3, 4] }, { shape: [4, 2] }, { shape: [2] }], build: (a, b, c) => ops.gemm(a, b, { alpha: 0.5, beta: 2 }, c) }],
    ['transA', { inputs: [{ shape: [4, 3] }, { shape: [4, 2] }], build: (a, b) => ops.gemm(a, b, { transA: 1 }) }],
    ['transB', { inputs: [{ shape: [3, 4] }, { shape: [2, 4] }], build: (a, b) => ops.gemm(a, b, { transB: 1 }) }],
    ['transA transB', { inputs: [{ shape: [4, 3] }, { shape: [2, 4] }], build: (a, b) => ops.gemm(a, b, { transA: 1, transB: 1, alpha: 1.5 }) }],
  ],
  Transpose: [['perm', { inputs: [{ shape: [2, 3, 4] }], build: (x) => ops.transpose(x, [1, 2, 0]) }]],
  Reshape: [
    ['constant shape with 0 and -1', { inputs: [{ shape: [2, 3, 4] }], build: (x) => ops.reshape(x, [0, -1]) }],
    ['symbolic input', { inputs: [{ shape: [2, 6], declared: ['b', 6] }], build: (x) => ops.reshape(x, [0, 2, 3]) }],
  ],
  Flatten: [['axis 2', { inputs: [{ shape: [2, 3, 2] }], build: (x) => ops.flatten(x, 2) }]],
  Squeeze: [['', { inputs: [{ shape: [2, 1, 3] }], build: (x) => ops.squeeze(x, [1]) }]],
  Unsqueeze: [['', { inputs: [{ shape: [2, 3] }], build: (x) => ops.unsqueeze(x, [0, -1]) }]],
  Concat: [
    ['static', { inputs: [{ shape: [2, 3] }, { shape: [2, 1] }], build: (a, b) => ops.concat([a, b], 1) }],
    ['symbolic sizes', { inputs: [{ shape: [2, 3], declared: [2, 'p'] }, { shape: [2, 2], declared: [2, 'q'] }], build: (a, b) => ops.concat([a, b], -1) }],
    // Pieces of a Split by runtime sizes: the gradient is split by (the leading entries of) those sizes.
    ['leading pieces of a split by runtime sizes', { inputs: [{ shape: [2, 7], declared: [2, 't'] }], build: (x) => ops.concat(runtimeThirds(x).slice(0, 2), -1) }],
    ['all pieces of a split by runtime sizes', { inputs: [{ shape: [2, 7], declared: [2, 't'] }], build: (x) => ops.concat(runtimeThirds(x).map((p) => ops.mul(p, p)), 1) }],
  ],
  Split: [
    ['both used', { inputs: [{ shape: [5, 2] }], build: (x) => { const [a, b] = ops.split(x, [2, 3], 0); return ops.concat([ops.mul(a, a), b], 0); } }],
    ['one output unused', { inputs: [{ shape: [2, 5] }], build: (x) => ops.split(x, [1, 4], 1)[1] }],
  ],
  Slice: [
    ['positive bounds', { inputs: [{ shape: [4, 5] }], build: (x) => ops.slice(x, [1, 0], [3, 4]) }],
    ['negative bounds on one axis', { inputs: [{ shape: [4, 5] }], build: (x) => ops.slice(x, [-3], [-1], [1]) }],
    ['to the end', { inputs: [{ shape: [4, 5] }], build: (x) => ops.slice(x, [2], [ops.END], [0]) }],
    ['symbolic dim', { inputs: [{ shape: [2, 6], declared: [2, 't'] }], build: (x) => ops.slice(x, [1], [-1], [1]) }],
    ['symbolic dim, negative start', { inputs: [{ shape: [2, 6], declared: [2, 't'] }], build: (x) => ops.slice(x, [-4], [5], [1]) }],
  ],
  Gather: [
    ['rows, repeated and negative indices', { inputs: [{ shape: [5, 3] }, { shape: [2, 2], dtype: 'int64', values: [0, 4, -1, 0] }], build: (x, i) => ops.gather(x, i, 0) }],
    ['middle axis', { inputs: [{ shape: [2, 4, 3] }, { shape: [3], dtype: 'int64', values: [3, 1, 3] }], build: (x, i) => ops.gather(x, i, 1) }],
    ['int32 negative indices, symbolic rows', { inputs: [{ shape: [5, 3], declared: ['n', 3] }, { shape: [3], dtype: 'int32', values: [-2, 1, -2] }], build: (x, i) => ops.gather(x, i, 0) }],
    ['float16, repeated indices, middle axis', half({ shape: [2, 4, 3] }, { shape: [5], dtype: 'int32', values: [3, 1, 3, 3, 0] }, (x, i) => ops.gather(x, i, 1))],
  ],
  GatherElements: [
    ['last axis', { inputs: [{ shape: [2, 4] }, { shape: [2, 2], dtype: 'int64', values: [3, 0, 1, 1] }], build: (x, i) => ops.gatherElements(x, i, 1) }],
    ['float16, repeated indices', half({ shape: [2, 4] }, { shape: [2, 3], dtype: 'int64', values: [3, 0, 3, 1, 1, 1] }, (x, i) => ops.gatherElements(x, i, 1))],
  ],
  Expand: [['broadcast up', { inputs: [{ shape: [3, 1] }], build: (x) => ops.expand(x, [2, 3, 4]) }]],
  Where: [['broadcast branches', { inputs: [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] }, { shape: [3] }, { shape: [2, 1] }], build: ops.where }]],
  ReduceSum: [
    ['keepdims', { inputs: [{ shape: [2, 3, 4] }], build: (x) => ops.reduceSum(x, [0, 2], true) }],
    ['no keepdims', { inputs: [{ shape: [2, 3, 4] }], build: (x) => ops.reduceSum(x, [1], false) }],
    ['all axes', { inputs: [{ shape: [2, 3] }], build: (x) => ops.reduceSum(x, undefined, false) }],
  ],
  ReduceMean: [
    ['static', { inputs: [{ shape: [2, 3, 4] }], build: (x) => ops.reduceMean(x, [-1], false) }],
    ['symbolic count', { inputs: [{ shape: [2, 5], declared: [2, 't'] }], build: (x) => ops.reduceMean(x, [1], true) }],
  ],
  ReduceMax: [['no keepdims', { inputs: [{ shape: [3, 4] }], build: (x) => ops.reduceMax(x, [1], false) }]],
  Softmax: [['last axis', { inputs: [{ shape: [2, 5] }], build: (x) => ops.softmax(x, -1) }], ['axis 0', { inputs: [{ shape: [3, 2] }], build: (x) => ops.softmax(x, 0) }]],
  LogSoftmax: [['', { inputs: [{ shape: [2, 5] }], build: (x) => ops.logSoftmax(x, -1) }]],
  LayerNormalization: [
    ['scale and bias', { inputs: [{ shape: [2, 3, 4] }, { shape: [4] }, { shape: [4] }], build: (x, s, b) => ops.layerNorm(x, s, b, 1e-5) }],
    ['two normalized axes, no bias', { inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }], build: (x, s) => ops.layerNorm(x, s, undefined, 1e-5, 1) }],
  ],
  // ONNX Runtime's CPU kernel is float32/float16 only: checked in float32 like Erf. Positions
  // repeat and skip rows of the caches, as left padding makes them.
  RotaryEmbedding: ([0, 1] as const).map((interleaved) => [
    `float32, per-row positions${interleaved ? ', interleaved' : ''}`,
    {
      inputs: [
        { shape: [2, 2, 3, 4], dtype: 'float32' },
        { shape: [2, 3], dtype: 'int64', values: [0, 1, 2, 1, 1, 4] },
        { shape: [5, 2], dtype: 'float32', values: [1, 1, 0.5, 0.9, -0.4, 0.8, 0.1, -1, -0.7, 0.3], grad: false },
        { shape: [5, 2], dtype: 'float32', values: [0, 0, 0.8, 0.4, 0.9, -0.6, 1, 0.2, 0.7, -0.95], grad: false },
      ],
      build: (x: Value, ids: Value, cos: Value, sin: Value) => ops.rotaryEmbedding(x, ids, cos, sin, interleaved),
      eps: 1e-2,
      rtol: 1e-3,
      atol: 1e-4,
    },
  ]),
  Trilu: [['lower, k=1', { inputs: [{ shape: [3, 3] }], build: (x) => ops.trilu(x, false, 1) }]],
};

test('every op with a VJP rule has finite-difference cases', () => {
  const withRule = registeredOps().filter((op) => getOp(op)!.vjp);
  expect(withRule.filter((op) => !cases[op])).toEqual([]);
});

describe.each(Object.entries(cases))('%s', (_op, opCases) => {
  test.each(opCases)('%s', async (_name, opts) => {
    const r = await checkGradients(opts);
    expect(r.failures).toEqual([]);
    expect(r.checked).toBeGreaterThan(0);
  });
});

test('16-bit gradients of Gather and GatherElements add in float32: no scatter with a reduction in 16 bits', () => {
  const scatterTypes = (dtype: 'float16' | 'bfloat16') => {
    const g = new GraphBuilder('half-scatters');
    const x = g.input('x', 'float32', [4, 3]);
    const h = ops.cast(x, dtype);
    const rows = ops.gather(h, g.constant([1, 1, 2], 'int64', [3]), 0);
    const elements = ops.gatherElements(h, g.constant([0, 2, 2, 1], 'int64', [4, 1]), 1);
    const loss = g.output(ops.add(ops.reduceSum(ops.cast(rows, 'float32'), undefined, false), ops.reduceSum(ops.cast(elements, 'float32'), undefined, false)), 'loss');
    gradients(loss, [x]);
    const model = g.toModel();
    const types = valueDTypes(model);
    return model.graph.nodes.filter((n) => n.op.startsWith('Scatter')).map((n) => `${n.op} ${n.attrs.reduction} ${types.get(n.inputs[0])} ${types.get(n.inputs[2])}`);
  };
  for (const dtype of ['float16', 'bfloat16'] as const) {
    expect(scatterTypes(dtype).sort()).toEqual(['ScatterElements add float32 float32', 'ScatterND add float32 float32']);
  }
});

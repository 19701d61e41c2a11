import { GraphBuilder, GraphError, ops } from '../src/index.js';

test('shape inference follows symbols through reshapes, concats and slices', () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', ['batch', 'seq', 64]);
  const heads = ops.reshape(x, [0, 0, 4, 16]);
  expect(heads.shape).toEqual(['batch', 'seq', 4, 16]);
  expect(ops.reshape(heads, [0, 0, -1]).shape).toEqual(['batch', 'seq', 64]);
  expect(ops.reshape(x, ops.shapeOf(x)).shape).toEqual(['batch', 'seq', 64]);
  expect(ops.concat([x, x], 1).shape).toEqual(['batch', 'seq+seq', 64]);
  expect(ops.slice(x, [0], [ops.END], [1]).shape).toEqual(['batch', 'seq', 64]);
  expect(ops.slice(x, [8], [24], [2]).shape).toEqual(['batch', 'seq', 16]);
  // Splits by the same runtime sizes agree on their pieces (named after the sizes tensor's elements), so the pieces combine.
  const half = ops.div(ops.shapeOf(x, 1, 2), 2);
  const sizes = ops.concat([half, ops.sub(ops.shapeOf(x, 1, 2), half)], 0);
  const [a, b] = [ops.split(x, sizes, 1, 2), ops.split(ops.mul(x, 2), sizes, 1, 2)];
  expect(ops.add(a[1], b[1]).shape).toEqual(a[1].shape);
  expect(a[0].shape[1]).not.toEqual(a[1].shape[1]);
  // A Split by the sizes' leading entries (a Slice of them) cuts the same first piece.
  expect(ops.split(x, ops.slice(sizes, [0], [1]), 1, 1)[0].shape).toEqual(a[0].shape);
  // Elements' names are not dims: a Reshape to a computed vector (which may hold 0 or -1) does not take them.
  const target = ops.concat([ops.shapeOf(x, 0, 1), ops.mul(half, 2), g.int64s([64])], 0);
  expect(ops.reshape(x, target).shape[1]).not.toMatch(/^Mul/);
  expect(ops.matmul(x, g.input('w', 'float32', [64, 10])).shape).toEqual(['batch', 'seq', 10]);
  expect(ops.expand(g.input('m', 'float32', [1, 1, 64]), ops.shapeOf(x)).shape).toEqual(['batch', 'seq', 64]);
  expect(ops.gather(g.input('emb', 'float32', [100, 8]), g.input('ids', 'int64', ['batch', 'seq'])).shape).toEqual(['batch', 'seq', 8]);
  // Two heads' rows merged into one symbol, split again: the symbol holds the factor 2.
  const rows = ops.reshape(g.input('q', 'float32', ['batch', 2, 'seq', 16]), [0, -1, 16]);
  expect(ops.reshape(rows, [0, 4, -1, 16]).shape).toEqual(['batch', 4, expect.any(String), 16]);
  expect(() => ops.reshape(g.input('f', 'float32', [2, 3]), [4, -1])).toThrow(/6 elements do not divide into 4/);
  // Caught when the node is made, not inside ONNX Runtime at run time.
  expect(() => ops.reshape(g.input('g', 'float32', ['n', 64]), [0, 0, 0, 64])).toThrow(/target dim 2 is 0 \(the input's dim 2\), but the input has 2 dims/);
  expect(() => ops.reshape(g.input('h', 'float32', ['n', 64]), [0, 0, 64])).toThrow(/cannot reshape \[n, 64\] into \[n, 64, 64\]: the element counts differ/);
  expect(() => ops.reshape(g.input('i', 'float32', [4, 6]), [4, 2, 2])).toThrow(/cannot reshape \[4, 6\] into \[4, 2, 2\]/);
});

test('a runtime shape is a constant where its dims are known, else one Shape node per symbolic shape', () => {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', ['batch', 'seq', 64]);
  const lead = ops.shapeOf(x, 0, -1);
  // Symbols name dims equal at run time: another value's [batch, seq] is the same tensor.
  expect(ops.shapeOf(ops.mul(x, 2), 0, 2)).toBe(lead);
  expect(ops.shapeOf(x)).not.toBe(lead);
  expect(g.constantOf(ops.shapeOf(x, 2).name)).toEqual(BigInt64Array.from([64n]));
  expect(g.nodes.filter((n) => n.op === 'Shape')).toHaveLength(2);
  expect(g.int64s([1, 2])).toBe(g.int64s([1, 2]));
});

test('errors name the node and the offending shapes', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 3]);
  const b = g.input('b', 'float32', [4, 5]);
  expect(() => ops.matmul(a, b)).toThrow(GraphError);
  expect(() => ops.matmul(a, b)).toThrow(/MatMul.*contraction dims differ: 3 vs 4.*float32\[2, 3\], float32\[4, 5\]/);
  expect(() => ops.add(a, b)).toThrow(/node 'Add.*cannot broadcast \[2, 3\] with \[4, 5\]/);
  expect(() => ops.add(a, g.input('i', 'int64', [2, 3]))).toThrow(/inputs must share one dtype/);
  expect(() => ops.transpose(a, [0, 0])).toThrow(/bad perm/);
  expect(() => ops.softmax(a, 2)).toThrow(/axis 2 out of range for rank 2/);
  expect(() => g.op('NoSuchOp', [a])).toThrow(/no definition/);
});

/** The message of what `f` throws (a GraphError expected). */
function thrown(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GraphError);
    return (e as Error).message;
  }
  throw new Error('nothing was thrown');
}

test('an error names its node once', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 3]);
  const messages = [
    thrown(() => ops.softmax(a, 5)),
    thrown(() => ops.reduceSum(a, [3])),
    thrown(() => ops.slice(a, [0], [1], [4])),
    thrown(() => ops.add(a, g.input('b', 'float32', [4]))),
  ];
  expect(messages[0]).toBe("node 'Softmax' (Softmax): axis 5 out of range for rank 2 (inputs: float32[2, 3])");
  expect(messages[3]).toBe("node 'Add' (Add): cannot broadcast [2, 3] with [4] (inputs: float32[2, 3], float32[4])");
  for (const m of messages) expect(m.match(/node '/g)).toHaveLength(1);
});

test('Concat: equal ranks and, off the axis, equal fixed dims; a symbol meeting a fixed dim takes it', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 3]);
  expect(thrown(() => ops.concat([a, g.input('b', 'float32', [3, 3])], 1))).toBe(
    "node 'Concat' (Concat): inputs differ in dim 0, off the concatenation axis 1: 2 vs 3 (inputs: float32[2, 3], float32[3, 3])",
  );
  expect(thrown(() => ops.concat([a, g.input('c', 'float32', [2, 3, 1])], 1))).toMatch(/inputs must share one rank, have 2, 3/);
  expect(thrown(() => ops.concat([a, g.input('d', 'float64', [2, 3])], 0))).toMatch(/inputs must share one dtype/);
  expect(thrown(() => ops.concat([a, a], 2))).toMatch(/axis 2 out of range for rank 2/);
  expect(thrown(() => ops.concat([], 0))).toMatch(/no values to concatenate/);
  // Symbols are not compared (a fresh one may equal a named one); a fixed size wins, as in broadcasting.
  expect(ops.concat([g.input('n', 'float32', ['rows', 3]), a], 1).shape).toEqual([2, 6]);
  expect(ops.concat([g.input('m', 'float32', ['rows', 3]), g.input('k', 'float32', ['other', 3])], 1).shape).toEqual(['rows', 6]);
  expect(ops.concat([a, a], -2).shape).toEqual([4, 3]);
});

test('Split: sizes one per output, none negative, summing to a known dim; num_outputs pieces as ONNX cuts them', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 5]);
  expect(thrown(() => ops.split(a, [2, 2], 1))).toBe(
    "node 'Split' (Split): split sizes [2, 2] sum to 4, not to the split dim 5 (inputs: float32[2, 5], int64[2])",
  );
  expect(thrown(() => ops.split(a, [6, -1], 1))).toMatch(/negative split size in \[6, -1\]/);
  expect(thrown(() => g.op('Split', [a, g.int64s([2, 3])], { axis: 1 }, { outputs: 3 }))).toMatch(/2 split sizes \[2, 3\] for 3 outputs/);
  expect(thrown(() => ops.split(a, [1, 1], 2))).toMatch(/axis 2 out of range for rank 2/);
  expect(thrown(() => ops.split(a, g.constant([2, 3], 'int32'), 1, 2))).toMatch(/split sizes must be a 1-D int64 tensor/);
  expect(ops.split(a, [2, 3], -1).map((p) => p.shape)).toEqual([[2, 2], [2, 3]]);
  // A symbolic dim is not checked against constant sizes (they say what it is).
  expect(ops.split(g.input('s', 'float32', [2, 'n']), [2, 3], 1).map((p) => p.shape)).toEqual([[2, 2], [2, 3]]);
  // num_outputs: pieces of ceil(dim / n), the last smaller.
  expect(g.op('Split', [a], { axis: 1, num_outputs: 3 }, { outputs: 3 }).map((p) => p.shape[1])).toEqual([2, 2, 1]);
  expect(thrown(() => g.op('Split', [a], { axis: 1, num_outputs: 2 }, { outputs: 3 }))).toMatch(/num_outputs 2 but 3 outputs/);
  expect(thrown(() => g.op('Split', [a, g.int64s([2, 3])], { axis: 1, num_outputs: 2 }, { outputs: 2 }))).toMatch(/split sizes or num_outputs, not both/);
});

test('MatMulInteger: 2-D 8-bit operands with one contraction size, scalar zero points of their dtype; int32 out', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'uint8', ['rows', 4]);
  const b = g.input('b', 'int8', [4, 3]);
  expect(ops.matmulInteger(a, b, g.constant([128], 'uint8', [])).shape).toEqual(['rows', 3]);
  expect(ops.matmulInteger(a, b).dtype).toBe('int32');
  expect(thrown(() => ops.matmulInteger(g.input('f', 'float32', [2, 4]), b))).toMatch(/operands must be uint8 or int8, are float32 and int8/);
  expect(thrown(() => ops.matmulInteger(a, g.input('c', 'int8', [5, 3])))).toMatch(/contraction dims differ: 4 vs 5/);
  expect(thrown(() => ops.matmulInteger(a, b, g.constant([128], 'int8', [])))).toMatch(/a zero point must be a scalar of its operand's dtype \(uint8\)/);
  expect(thrown(() => ops.matmulInteger(g.input('r', 'uint8', [2, 2, 4]), b))).toMatch(/operands must be 2-D/);
});

test('ScatterND: int64 indices of rank >= 1, k = indices.shape[-1] <= rank(data), updates indices.shape[:-1] + data.shape[k:]', () => {
  const g = new GraphBuilder();
  const d = g.input('d', 'float32', [4, 3]);
  const i = g.input('i', 'int64', [2, 1]);
  expect(thrown(() => ops.scatterND(d, i, g.input('u', 'float32', [2, 2])))).toBe(
    "node 'ScatterND' (ScatterND): updates [2, 2] must have shape [2, 3] (indices.shape[:-1] + data.shape[k:], k = indices.shape[-1]) (inputs: float32[4, 3], int64[2, 1], float32[2, 2])",
  );
  expect(thrown(() => ops.scatterND(d, i, g.input('u2', 'float32', [2, 3, 1])))).toMatch(/updates \[2, 3, 1\] must have shape \[2, 3\]/);
  expect(thrown(() => ops.scatterND(d, g.input('k3', 'int64', [1, 3]), g.input('u3', 'float32', [1])))).toMatch(/node 'ScatterND.*indices' last dim 3 is larger than the data's rank 2/);
  expect(thrown(() => ops.scatterND(d, g.input('i32', 'int32', [2, 1]), g.input('u4', 'float32', [2, 3])))).toMatch(/indices must be int64, are int32/);
  expect(thrown(() => ops.scatterND(d, i, g.input('u5', 'float64', [2, 3])))).toMatch(/updates are float64, the data float32: they must share one dtype/);
  expect(thrown(() => ops.scatterND(g.input('s', 'float32', []), g.input('i0', 'int64', [1, 0]), g.input('u6', 'float32', [1])))).toMatch(/the data needs rank >= 1, is a scalar/);
  expect(thrown(() => ops.scatterND(d, g.input('i1', 'int64', []), g.input('u7', 'float32', [3])))).toMatch(/indices need rank >= 1, are a scalar/);
  // ONNX Runtime runs an unknown reduction as 'none': it would overwrite where a sum was meant.
  expect(thrown(() => g.op('ScatterND', [d, i, g.input('u8', 'float32', [2, 3])], { reduction: 'sum' }))).toMatch(/reduction 'sum' is not one of none, add, mul, max, min/);
  expect(ops.scatterND(d, i, g.input('u9', 'float32', [2, 3]), 'max').shape).toEqual([4, 3]);
  // Symbols are not compared; a symbolic k is what the ranks leave, and none fits updates of rank 4.
  const rows = g.input('rows', 'int64', ['n', 'k']);
  expect(ops.scatterND(g.input('x', 'float32', ['batch', 3]), rows, g.input('v', 'float32', ['m', 3])).shape).toEqual(['batch', 3]);
  expect(thrown(() => ops.scatterND(d, rows, g.input('v2', 'float32', [1, 1, 1, 1])))).toMatch(/updates of rank 4 cannot be indices.shape\[:-1\] \+ data.shape\[k:\] for any k/);
  expect(thrown(() => ops.scatterND(d, rows, g.input('v3', 'float32', ['m', 5])))).toMatch(/updates \[m, 5\] must have shape \[n, 3\]/);
});

test("ScatterElements: integer indices, one rank, updates of the indices' shape, indices no longer than the data off the axis", () => {
  const g = new GraphBuilder();
  const d = g.input('d', 'float32', [3, 3]);
  const i = g.input('i', 'int64', [2, 2]);
  expect(thrown(() => ops.scatterElements(d, i, g.input('u', 'float32', [2, 3]), 1))).toBe(
    "node 'ScatterElements' (ScatterElements): updates [2, 3] must have the indices' shape [2, 2] (inputs: float32[3, 3], int64[2, 2], float32[2, 3])",
  );
  expect(thrown(() => ops.scatterElements(d, g.input('i1', 'int64', [4]), g.input('u1', 'float32', [4]), 0))).toMatch(/data, indices and updates must share one rank, have 2, 1, 1/);
  expect(thrown(() => ops.scatterElements(d, i, g.input('u2', 'float32', [4]), 0))).toMatch(/must share one rank, have 2, 2, 1/);
  expect(thrown(() => ops.scatterElements(d, i, g.input('u3', 'float32', [2, 2]), 2))).toMatch(/node 'ScatterElements.*axis 2 out of range for rank 2/);
  expect(thrown(() => ops.scatterElements(d, g.input('f', 'float32', [2, 2]), g.input('u4', 'float32', [2, 2]), 1))).toMatch(/indices must be int32 or int64, are float32/);
  expect(thrown(() => ops.scatterElements(d, i, g.input('u5', 'float16', [2, 2]), 1))).toMatch(/updates are float16, the data float32/);
  expect(thrown(() => g.op('ScatterElements', [d, i, g.input('u6', 'float32', [2, 2])], { axis: 1, reduction: 'sum' }))).toMatch(/reduction 'sum' is not one of/);
  expect(thrown(() => ops.scatterElements(d, g.input('long', 'int32', [4, 1]), g.input('u7', 'float32', [4, 1]), 1))).toMatch(
    /indices \[4, 1\] are longer than the data \[3, 3\] in dim 0, off the axis 1/,
  );
  // Along the axis indices may be longer (they repeat), and symbols are not compared.
  expect(ops.scatterElements(d, g.input('wide', 'int32', [1, 4]), g.input('u8', 'float32', [1, 4]), -1, 'add').shape).toEqual([3, 3]);
  expect(ops.scatterElements(g.input('x', 'float32', ['n', 5]), g.input('at', 'int64', ['n', 1]), g.input('v', 'float32', ['m', 1]), 1, 'add').shape).toEqual(['n', 5]);
});

test('other shape rules refuse what ONNX Runtime would refuse later', () => {
  const g = new GraphBuilder();
  const a = g.input('a', 'float32', [2, 3]);
  // Transpose: a permutation of the axes, ranks of 11 and more sorted as numbers.
  expect(thrown(() => ops.transpose(a, [0, 0]))).toMatch(/bad perm \[0, 0\]: not a permutation of the 2 axes/);
  expect(thrown(() => ops.transpose(a, [0, 2]))).toMatch(/bad perm \[0, 2\]/);
  const wide = g.input('wide', 'float32', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  expect(ops.transpose(wide, [10, 2, 1, 0, 3, 4, 5, 6, 7, 8, 9]).shape).toEqual([11, 3, 2, 1, 4, 5, 6, 7, 8, 9, 10]);
  // Slice: matching parameter lengths, no step 0.
  expect(thrown(() => ops.slice(a, [0], [1], [1], [0]))).toMatch(/step 0 in \[0\]/);
  expect(thrown(() => ops.slice(a, [0, 0], [1, 1], [0, 1], [1]))).toMatch(/steps \[1\] differ in length/);
  expect(thrown(() => ops.slice(a, [0, 0], [1, 1], [1, -1]))).toMatch(/axis -1 given twice in \[1, -1\]/);
  // Gather: constant indices within a known dim; GatherElements: integer indices.
  expect(thrown(() => ops.gather(a, g.constant([5], 'int64'), 0))).toMatch(/node 'Gather.*index 5 is out of range for axis 0 of size 2/);
  expect(thrown(() => ops.gather(a, g.constant([-4], 'int64'), 1))).toMatch(/index -4 is out of range for axis 1 of size 3/);
  expect(ops.gather(a, g.constant([-3, 2], 'int64'), 1).shape).toEqual([2, 2]);
  expect(thrown(() => ops.gatherElements(a, g.input('f', 'float32', [2, 3]), 1))).toMatch(/indices must be int32 or int64/);
  // Axes given twice anywhere.
  expect(thrown(() => ops.reduceSum(a, [0, -2]))).toMatch(/node 'ReduceSum.*axis -2 given twice in \[0, -2\]/);
  // Expand and Where broadcast; Expand and Reshape take a 1-D int64 shape.
  expect(thrown(() => ops.expand(a, [4, 3, 2]))).toMatch(/node 'Expand.*\(Expand\): cannot broadcast \[2, 3\] with \[4, 3, 2\]/);
  expect(thrown(() => ops.expand(a, g.constant([2, 3], 'int32')))).toMatch(/the shape input must be a 1-D int64 tensor/);
  expect(thrown(() => ops.reshape(a, g.constant([3, 2], 'int32')))).toMatch(/the shape input must be a 1-D int64 tensor/);
  expect(thrown(() => ops.reshape(a, [-1, -1]))).toMatch(/bad target \[-1, -1\]: one -1 at most/);
  const cond = g.input('cond', 'bool', [4, 1]);
  expect(thrown(() => ops.where(cond, a, 0))).toMatch(/node 'Where.*\(Where\): cannot broadcast \[4, 1\] with \[2, 3\] with \[\]/);
  // Gemm: C broadcasts to the product one way only.
  const b = g.input('b', 'float32', [3, 4]);
  expect(ops.gemm(a, b, {}, g.input('c', 'float32', [4])).shape).toEqual([2, 4]);
  expect(thrown(() => ops.gemm(g.input('row', 'float32', [1, 3]), b, {}, g.input('c2', 'float32', [2, 4])))).toMatch(/C \[2, 4\] does not broadcast to the product's \[1, 4\]/);
  // Pad: a begin and an end per axis, no dim below 0.
  expect(thrown(() => ops.pad(a, g.int64s([1, 1, 1])))).toMatch(/3 pads \[1, 1, 1\] for 2 axes/);
  expect(thrown(() => ops.pad(a, g.int64s([0, -2, 0, -2])))).toMatch(/cut axis 1 of size 3 below 0/);
  // CumSum's constant axis, Trilu's matrices, LayerNormalization's scale.
  expect(thrown(() => ops.cumSum(a, 2))).toMatch(/node 'CumSum.*axis 2 out of range for rank 2/);
  expect(thrown(() => ops.trilu(g.input('v', 'float32', [3]), true))).toMatch(/needs rank >= 2/);
  expect(thrown(() => ops.layerNorm(a, g.input('s', 'float32', [4])))).toMatch(/scale \[4\] does not fit the normalized dims \[3\]/);
  expect(thrown(() => ops.layerNorm(a, g.input('s2', 'float32', [3]), g.input('b2', 'float32', [2, 3]), 1e-5, -1))).toMatch(/bias \[2, 3\] does not fit the normalized dims \[3\]/);
  expect(ops.layerNorm(g.input('x', 'float32', ['n', 'd']), g.input('s3', 'float32', [8])).shape).toEqual(['n', 'd']);
});

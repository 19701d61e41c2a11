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

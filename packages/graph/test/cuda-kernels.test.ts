import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cudaKernelGaps, GraphBuilder, ONNX_DTYPE, ops, OPSET, IR_VERSION, type AttrValue, type DType, type ModelIR } from '../src/index.js';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'gpu-audit-cuda-table.txt');

/** A model of one node with inputs of these dtypes (and Cast's target). */
function oneNode(op: string, dtypes: DType[], castTo?: DType): ModelIR {
  const inputs = dtypes.map((dtype, i) => ({ name: `in${i}`, dtype, shape: [2] }));
  const attrs: Record<string, AttrValue> = castTo ? { to: ONNX_DTYPE[castTo] } : {};
  const node = { name: op, op, inputs: inputs.map((i) => i.name), outputs: ['out'], attrs };
  return { graph: { name: op, inputs, outputs: [], nodes: [node], initializers: [], valueInfo: [] }, opset: OPSET, irVersion: IR_VERSION, producer: 'test', metadata: {} };
}

// The audit of 2026-12-01 read these verdicts off the same kernel table by hand, one row per
// (op, input dtypes) codistill's graphs use: the checked-in table must agree with each.
test('the CUDA kernel table agrees with the audit for every (op, dtypes) codistill uses', () => {
  const rows = fs.readFileSync(fixture, 'utf8').trim().split('\n');
  const disagree: string[] = [];
  for (const row of rows) {
    const m = /^(\w+)\s+in\(([\w,]*)\)\s*(?:->(\w+))?\s+CUDA:(yes|NO)/.exec(row);
    if (!m) throw new Error(`unreadable audit row: ${row}`);
    const [, op, ins, to, verdict] = m;
    const gaps = cudaKernelGaps(oneNode(op, ins.split(',') as DType[], to as DType | undefined));
    if ((gaps.length === 0) !== (verdict === 'yes') && op !== 'SoftmaxCrossEntropyLoss') disagree.push(`${row.trim()} -> ${gaps.map((g) => g.why).join('; ') || 'kernel'}`);
  }
  expect(rows.length).toBeGreaterThan(80);
  expect(disagree).toEqual([]);
});

test('SoftmaxCrossEntropyLoss is checked through the function body ONNX Runtime inlines', () => {
  expect(cudaKernelGaps(oneNode('SoftmaxCrossEntropyLoss', ['float32', 'int64']))).toEqual([]);
  // LogSoftmax in the body has no bfloat16 kernel.
  expect(cudaKernelGaps(oneNode('SoftmaxCrossEntropyLoss', ['bfloat16', 'int64'])).map((g) => g.why)).toEqual(['CUDA LogSoftmax has no bfloat16 kernel for input 0']);
});

test('ops, dtypes and opsets without a CUDA kernel are named', () => {
  const g = new GraphBuilder('gaps');
  const x = g.input('x', 'bfloat16', [4]);
  g.output(ops.cos(x), 'c');
  g.output(ops.rangeOp(g.scalar(0, 'float16'), g.scalar(4, 'float16'), g.scalar(1, 'float16')), 'r');
  const gaps = cudaKernelGaps(g.toModel());
  expect(gaps.map((x) => `${x.op}${x.dtypes}: ${x.why}`)).toEqual([
    'Cos(bfloat16): CUDA Cos has no bfloat16 kernel for input 0',
    'Range(float16,float16,float16): CUDA Range has no float16 kernel for input 0',
  ]);
  expect(cudaKernelGaps(oneNode('Gelu', ['float32']))).toEqual([{ node: 'Gelu', op: 'Gelu', dtypes: '(float32)', why: 'no CUDA kernel at opset 18' }]);
  expect(cudaKernelGaps(oneNode('NoSuchOp', ['float32']))[0].why).toBe('no CUDA kernel');
});

test('scripts/cuda-kernels.ts reads the CUDA section of OperatorKernels.md as the checked-in table holds it', async () => {
  const { parseCudaKernels } = await import('../../../scripts/cuda-kernels.js');
  const excerpt = parseCudaKernels(fs.readFileSync(path.join(path.dirname(fixture), 'operator-kernels-excerpt.md'), 'utf8'));
  expect(Object.keys(excerpt)).toEqual(['ai.onnx:Add', 'ai.onnx:Identity', 'ai.onnx:Split', 'ai.onnx:Where', 'com.microsoft:RotaryEmbedding']);
  expect(excerpt['ai.onnx:Split'].inputs).toEqual([['T'], ['T', '=int64']]);
  expect(excerpt['ai.onnx:Identity'].kernels.map((k) => k.opsets)).toEqual([[19, null], [14, 18], [13, 13], [1, 12]]);
  expect(excerpt['ai.onnx:Identity'].kernels[1].types.V).toContain('seq(int64)');
  const table = JSON.parse(fs.readFileSync(path.join(path.dirname(fixture), '..', '..', 'src', 'gpu', 'cuda-kernels.json'), 'utf8'));
  for (const [op, entry] of Object.entries(excerpt)) expect(table.ops[op]).toEqual(entry);
});

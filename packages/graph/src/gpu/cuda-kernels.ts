import { createRequire } from 'node:module';
import type { DType } from '../dtype.js';
import type { ModelIR, NodeDef } from '../ir.js';
import { inputSignature, valueDTypes } from './value-dtypes.js';

interface KernelRow {
  /** First and last opset the kernel serves; null: up to the newest. */
  opsets: [number, number | null];
  /** Type constraint -> ONNX type names ('float', 'int64', ...). */
  types: Record<string, string[]>;
}

interface CudaKernels {
  source: string;
  /** 'domain:Op' -> the type constraint (or '=type') of each input position, and the kernels. */
  ops: Record<string, { inputs: string[][]; kernels: KernelRow[] }>;
}

// ONNX Runtime's CUDA kernel registrations (scripts/cuda-kernels.ts extracts them from its docs).
const TABLE: CudaKernels = createRequire(import.meta.url)('./cuda-kernels.json');

/** Where a node has no CUDA kernel: at its opset, or for its input dtypes. */
export interface KernelGap {
  node: string;
  op: string;
  /** Input dtypes as codistill names them, e.g. '(float32,int64)'. */
  dtypes: string;
  why: string;
}

const ONNX_NAME: Partial<Record<DType, string>> = { float32: 'float', float64: 'double' };
const onnxName = (d: DType | undefined): string | undefined => (d ? (ONNX_NAME[d] ?? d) : undefined);

type Operand = number | DType;
/**
 * Ops ONNX Runtime has no kernel for and inlines as their ONNX function body, as the body's ops
 * with their inputs (a number: that input's dtype of the inlined node). SoftmaxCrossEntropyLoss as
 * codistill emits it (scores [N, C], reduction 'none', no weights, no ignore_index) expands to
 * LogSoftmax between Reshape/Transpose pairs, then NegativeLogLikelihoodLoss, itself a function:
 * Unsqueeze, GatherElements, Neg, Slice, Squeeze.
 */
const INLINED: Record<string, [string, Operand[]][]> = {
  SoftmaxCrossEntropyLoss: [
    ['Reshape', [0, 'int64']],
    ['Transpose', [0]],
    ['LogSoftmax', [0]],
    ['Shape', [0]],
    ['Identity', [0]],
    ['Unsqueeze', [1, 'int64']],
    ['GatherElements', [0, 1]],
    ['Neg', [0]],
    ['Slice', [0, 'int64', 'int64', 'int64']],
    ['Squeeze', [0, 'int64']],
  ],
};

function gap(node: NodeDef, op: string, dtypes: (DType | undefined)[], opset: number, output?: DType): string | undefined {
  const domain = node.domain || 'ai.onnx';
  const entry = TABLE.ops[`${domain}:${op}`];
  if (!entry) return 'no CUDA kernel';
  const row = entry.kernels.find((k) => k.opsets[0] <= opset && (k.opsets[1] === null || opset <= k.opsets[1]));
  if (!row) return `no CUDA kernel at opset ${opset}`;
  const accepts = (constraints: string[], dtype: string) =>
    constraints.some((c) => (c.startsWith('=') ? c.slice(1) === dtype : !row.types[c] || row.types[c].includes(dtype)));
  for (let i = 0; i < dtypes.length; i++) {
    const dtype = onnxName(dtypes[i]);
    // Variadic inputs (Concat, Sum) share the last listed position's constraint.
    const constraints = entry.inputs[Math.min(i, entry.inputs.length - 1)];
    if (dtype && constraints && !accepts(constraints, dtype)) return `CUDA ${op} has no ${dtype} kernel for input ${i}`;
  }
  // Cast's kernels are registered per target type too.
  if (op === 'Cast' && output && !row.types.T2?.includes(onnxName(output)!)) return `CUDA Cast has no kernel to ${output}`;
  return undefined;
}

/** Nodes of `model` ONNX Runtime's CUDA provider has no kernel for (they would run on the CPU). */
export function cudaKernelGaps(model: ModelIR): KernelGap[] {
  const types = valueDTypes(model);
  const gaps: KernelGap[] = [];
  for (const node of model.graph.nodes) {
    const dtypes = node.inputs.filter(Boolean).map((n) => types.get(n));
    const opset = node.domain && node.domain !== 'ai.onnx' ? 1 : model.opset;
    const body = INLINED[node.op];
    const checks: [string, (DType | undefined)[]][] = body
      ? body.map(([op, operands]) => [op, operands.map((o) => (typeof o === 'number' ? dtypes[o] : o))])
      : [[node.op, dtypes]];
    for (const [op, ins] of checks) {
      const why = gap(node, op, ins, opset, types.get(node.outputs[0]));
      if (why) gaps.push({ node: node.name, op: node.op, dtypes: inputSignature(node, types), why });
    }
  }
  return gaps;
}

/** Where the table comes from (ONNX Runtime version or commit). */
export const CUDA_KERNELS_SOURCE = TABLE.source;

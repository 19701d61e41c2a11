import { dtypeFromOnnx, type DType } from '../dtype.js';
import type { ModelIR, NodeDef, TensorInit } from '../ir.js';

const BOOL_OUTPUT = new Set(['Equal', 'Less', 'LessOrEqual', 'Greater', 'GreaterOrEqual', 'Not', 'And', 'Or']);
const INT64_OUTPUT = new Set(['Shape', 'Size', 'ArgMax']);

function outputDType(node: NodeDef, inputs: (DType | undefined)[], index: number): DType | undefined {
  if (BOOL_OUTPUT.has(node.op)) return 'bool';
  if (INT64_OUTPUT.has(node.op)) return 'int64';
  switch (node.op) {
    case 'Cast':
      return dtypeFromOnnx(node.attrs.to as number);
    case 'ConstantOfShape':
      return (node.attrs.value as TensorInit | undefined)?.dtype ?? 'float32';
    case 'Where':
      return inputs[1];
    case 'Dropout':
      return index === 1 ? 'bool' : inputs[0];
    default:
      // Every other op codistill emits keeps its first input's type (elementwise, Gather, MatMul, Range, ...).
      return inputs[0];
  }
}

/**
 * The dtype of every value in a model. codistill's model files carry no value_info, so this
 * replays dtype inference over the nodes (in order: the builder emits them topologically).
 */
export function valueDTypes(model: ModelIR): Map<string, DType> {
  const g = model.graph;
  const types = new Map<string, DType>();
  for (const v of [...g.inputs, ...g.initializers]) types.set(v.name, v.dtype);
  for (const node of g.nodes) {
    const inputs = node.inputs.map((name) => types.get(name));
    node.outputs.forEach((name, i) => {
      const t = outputDType(node, inputs, i);
      if (t) types.set(name, t);
    });
  }
  return types;
}

/** A node's input dtypes, omitted inputs left out: '(float32,int64)'; a Cast's target too: '(int64)->float32'. */
export function inputSignature(node: NodeDef, types: Map<string, DType>): string {
  const to = node.op === 'Cast' ? `->${types.get(node.outputs[0]) ?? '?'}` : '';
  return `(${node.inputs.filter(Boolean).map((n) => types.get(n) ?? '?').join(',')})${to}`;
}

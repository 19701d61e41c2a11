import type { AttrValue, ModelIR, ValueInfo } from './ir.js';
import { fmtShape } from './shape.js';

const fmtAttr = (v: AttrValue): string =>
  typeof v === 'object' && !Array.isArray(v) ? `tensor<${v.dtype}${fmtShape(v.dims)}>` : JSON.stringify(v);

const fmtInfo = (v: ValueInfo) => `%${v.name}: ${v.dtype}${fmtShape(v.shape)}`;

/** A readable listing of a graph: inputs, weights, one line per node, outputs. */
export function dumpGraph(model: ModelIR): string {
  const g = model.graph;
  const lines = [`graph ${g.name} (opset ${model.opset})`];
  for (const i of g.inputs) lines.push(`  input  ${fmtInfo(i)}`);
  for (const t of g.initializers) {
    const where = t.external ? ` @ ${t.external.location}+${t.external.offset}` : '';
    lines.push(`  weight %${t.name}: ${t.dtype}${fmtShape(t.dims)}${where}`);
  }
  for (const n of g.nodes) {
    const attrs = Object.entries(n.attrs).map(([k, v]) => `${k}=${fmtAttr(v)}`);
    const args = n.inputs.map((i) => (i ? `%${i}` : '_')).join(', ');
    lines.push(`  ${n.outputs.map((o) => `%${o}`).join(', ')} = ${n.op}(${args})${attrs.length ? ` {${attrs.join(', ')}}` : ''}`);
  }
  for (const o of g.outputs) lines.push(`  output ${fmtInfo(o)}`);
  return lines.join('\n');
}

// Extracts the CUDA execution provider's kernel table from ONNX Runtime's docs/OperatorKernels.md
// (generated from the registered kernels) into packages/graph/src/gpu/cuda-kernels.json.
// Usage: npx tsx scripts/cuda-kernels.ts path/to/OperatorKernels.md "onnxruntime <tag or commit>"
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'graph', 'src', 'gpu', 'cuda-kernels.json');

/** 'tensor(float)' -> 'float', 'seq(tensor(int64))' -> 'seq(int64)'; other forms (maps, sparse) stay as written. */
const typeName = (t: string): string => t.trim().replace(/^seq\(tensor\((\w+)\)\)$/, 'seq($1)').replace(/^tensor\((\w+)\)$/, '$1');

/** '14+' -> [14, null], '13' -> [13, 13], '[7, 12]' -> [7, 12]. */
export interface KernelRow {
  opsets: [number, number | null];
  types: Record<string, string[]>;
}

export type KernelTable = Record<string, { inputs: string[][]; kernels: KernelRow[] }>;

function opsets(cell: string): [number, number | null] {
  const range = /^\[(\d+), (\d+)\]$/.exec(cell);
  if (range) return [Number(range[1]), Number(range[2])];
  const open = /^(\d+)\+$/.exec(cell);
  if (open) return [Number(open[1]), null];
  if (/^\d+$/.test(cell)) return [Number(cell), Number(cell)];
  throw new Error(`unreadable opset cell '${cell}'`);
}

/** '**T** = tensor(float), tensor(int64)<br/> **T1** = tensor(bool)' -> { T: ['float', 'int64'], T1: ['bool'] } */
function constraints(cell: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of cell.split('<br/>')) {
    const m = /^\s*\*\*(\w+)\*\* = (.*)$/.exec(part);
    if (!m) throw new Error(`unreadable type cell '${part}'`);
    out[m[1]] = m[2].split(/, (?=(?:seq|tensor|map|sparse_tensor|opaque)\()/).map(typeName);
  }
  return out;
}

/**
 * The constraint each input position uses, merged over the schema variants ('or'): e.g. Split's
 * second input is 'T' in Split-2 and tensor(int64) later -> ['T', '=int64'].
 */
function inputs(cell: string): string[][] {
  const positions: string[][] = [];
  for (const variant of cell.split('<br><br>or<br><br>')) {
    const ins = [...variant.matchAll(/\*in\* [^:]+:\*\*(.+?)\*\*/g)].map((m) => (/^tensor\(/.test(m[1]) ? `=${typeName(m[1])}` : m[1]));
    ins.forEach((c, i) => {
      positions[i] ??= [];
      if (!positions[i].includes(c)) positions[i].push(c);
    });
  }
  return positions;
}

export function parseCudaKernels(markdown: string): KernelTable {
  const start = markdown.indexOf('## Operators implemented by CUDAExecutionProvider');
  if (start < 0) throw new Error('no CUDAExecutionProvider section');
  const end = markdown.indexOf('\n## ', start + 1);
  const ops: KernelTable = {};
  let domain = '';
  let op: KernelTable[string] | undefined;
  for (const line of markdown.slice(start, end < 0 ? undefined : end).split('\n')) {
    const dom = /^\|\*\*Operator Domain:\*\* \*([\w.]+)\*/.exec(line);
    if (dom) domain = dom[1];
    const cells = line.split('|').slice(1, -1);
    if (dom || cells.length !== 4 || !/^\d|^\[/.test(cells[2])) continue;
    if (cells[0]) {
      op = { inputs: inputs(cells[1]), kernels: [] };
      ops[`${domain}:${cells[0]}`] = op;
    }
    op!.kernels.push({ opsets: opsets(cells[2]), types: constraints(cells[3]) });
  }
  return ops;
}

// One op per line: small diffs when ONNX Runtime changes a row.
function format(table: { source: string; ops: KernelTable }): string {
  const ops = Object.entries(table.ops).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  return `{\n  "source": ${JSON.stringify(table.source)},\n  "ops": {\n${ops.join(',\n')}\n  }\n}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, version] = process.argv.slice(2);
  if (!file || !version) {
    console.error('usage: npx tsx scripts/cuda-kernels.ts OperatorKernels.md "onnxruntime <tag or commit>"');
    process.exit(2);
  }
  const ops = parseCudaKernels(fs.readFileSync(file, 'utf8'));
  const source = `CUDAExecutionProvider section of docs/OperatorKernels.md, ${version} (scripts/cuda-kernels.ts)`;
  fs.writeFileSync(OUT, format({ source, ops }));
  console.log(`${Object.keys(ops).length} ops -> ${path.relative(process.cwd(), OUT)}`);
}

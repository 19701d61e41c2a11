import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type ort from 'onnxruntime-node';
import type { ModelIR, NodeDef } from '../ir.js';
import { inputSignature, valueDTypes } from './value-dtypes.js';

/** A node ONNX Runtime runs on the CPU although a GPU provider was asked for. */
export interface CpuNode {
  node: string;
  op: string;
  /** Input dtypes, e.g. '(int64,int64)'; '?' for nodes ONNX Runtime's optimiser created. */
  dtypes: string;
  /**
   * 'shape': integer shape arithmetic whose results only feed shape inputs (Reshape's shape,
   * Slice's starts, ...), which GPU kernels read from host memory anyway, or that ONNX Runtime's
   * log marks as moved to the CPU on purpose ("Force fallback to CPU"). 'fallback': compute the
   * GPU provider has no kernel for.
   */
  kind: 'shape' | 'fallback';
}

/** Which provider runs each node of a compiled graph (after ONNX Runtime's optimiser). */
export interface Placement {
  provider: string;
  /** Compute nodes on the GPU provider (memcpy nodes not counted). */
  gpuNodes: number;
  cpuNodes: CpuNode[];
  /** MemcpyToHost / MemcpyFromHost nodes: device <-> host copies on every run. */
  memcpyNodes: number;
}

// Inputs that GPU kernels read from host memory (shapes, axes, starts, ...): integer math that
// only feeds these stays on the CPU without copies.
const SHAPE_INPUTS: Record<string, number[]> = {
  Reshape: [1],
  Expand: [1],
  ConstantOfShape: [0],
  Slice: [1, 2, 3, 4],
  Squeeze: [1],
  Unsqueeze: [1],
  ReduceSum: [1],
  ReduceMean: [1],
  ReduceMax: [1],
  Split: [1],
  Pad: [1, 3],
  Range: [0, 1, 2],
  CumSum: [1],
  Trilu: [1],
};
const MEMCPY = new Set(['MemcpyToHost', 'MemcpyFromHost']);

/**
 * CPU-placed nodes that are only shape arithmetic (see CpuNode.kind), by node name. `placed`: the
 * nodes ONNX Runtime kept; a consumer it removed (merged into a twin by common-subexpression
 * elimination, whose own consumers then read this node's twin) does not count.
 */
function shapeOnlyNodes(model: ModelIR, onCpu: Set<string>, placed: Set<string>): Set<string> {
  const consumers = new Map<string, { node: NodeDef; slot: number }[]>();
  for (const node of model.graph.nodes.filter((n) => placed.has(n.name))) {
    node.inputs.forEach((name, slot) => {
      if (name) consumers.set(name, [...(consumers.get(name) ?? []), { node, slot }]);
    });
  }
  const graphOutputs = new Set(model.graph.outputs.map((o) => o.name));
  const shape = new Set<string>();
  // Consumers come after producers, so one backwards pass settles every node.
  for (const node of [...model.graph.nodes].reverse()) {
    if (!onCpu.has(node.name)) continue;
    const uses = node.outputs.flatMap((o) => consumers.get(o) ?? []);
    const onlyShapes =
      uses.length > 0 &&
      !node.outputs.some((o) => graphOutputs.has(o)) &&
      uses.every(({ node: c, slot }) => SHAPE_INPUTS[c.op]?.includes(slot) || shape.has(c.name));
    if (onlyShapes) shape.add(node.name);
  }
  return shape;
}

const PLACED_ON = /(All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/;
const NODE_LINE = /VerifyEachNodeIsAssignedToAnEp\] {3}(\S+) \((.*)\)$/;
const CPU = 'CPUExecutionProvider';
// ORT's own mark on shape arithmetic it moves to the CPU although the GPU provider has a kernel.
const FORCED = /Force fallback to CPU execution for node: (.+?) because/;

/** Reads ONNX Runtime's verbose "Node placements" section into a Placement. */
export function parsePlacementLog(lines: Iterable<string>, model: ModelIR, provider: string): Placement {
  const placed: { op: string; node: string; ep: string }[] = [];
  const forced = new Set<string>();
  let ep = '';
  for (const line of lines) {
    const mark = FORCED.exec(line);
    if (mark) forced.add(mark[1]);
    const section = PLACED_ON.exec(line);
    if (section) {
      ep = section[2];
      // One provider for everything: ORT prints only the count.
      if (section[1] === 'All nodes') {
        if (ep === CPU) {
          const all = model.graph.nodes.map((n) => ({ op: n.op, node: n.name }));
          return { provider, gpuNodes: 0, cpuNodes: describeCpuNodes(all, model, forced, all), memcpyNodes: 0 };
        }
        return { provider, gpuNodes: Number(section[3]), cpuNodes: [], memcpyNodes: 0 };
      }
    }
    const node = NODE_LINE.exec(line);
    if (node && ep) placed.push({ op: node[1], node: node[2], ep });
  }
  const gpu = placed.filter((p) => p.ep !== CPU);
  const memcpyNodes = gpu.filter((p) => MEMCPY.has(p.op)).length;
  return { provider, gpuNodes: gpu.length - memcpyNodes, cpuNodes: describeCpuNodes(placed.filter((p) => p.ep === CPU), model, forced, placed), memcpyNodes };
}

function describeCpuNodes(onCpu: { op: string; node: string }[], model: ModelIR, forced: Set<string>, placed: { node: string }[]): CpuNode[] {
  const types = valueDTypes(model);
  const byName = new Map(model.graph.nodes.map((n) => [n.name, n]));
  const shape = shapeOnlyNodes(model, new Set(onCpu.map((p) => p.node)), new Set(placed.map((p) => p.node)));
  return onCpu.map(({ op, node }) => {
    const def = byName.get(node);
    return { node, op, dtypes: def ? inputSignature(def, types) : '?', kind: shape.has(node) || forced.has(node) ? 'shape' : 'fallback' };
  });
}

/** CPU nodes that are real compute (not shape arithmetic), counted by 'Op(dtypes)'. */
export function cpuFallbacks(p: Placement): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { op, dtypes, kind } of p.cpuNodes) if (kind === 'fallback') counts[op + dtypes] = (counts[op + dtypes] ?? 0) + 1;
  return counts;
}

/**
 * The fallbacks by op and input dtypes, each with its first `shown` node names (then how many
 * more): what a refusal prints, so the nodes themselves can be found in the graph.
 */
export function describeFallbacks(p: Placement, shown = 3): string {
  const byType = new Map<string, string[]>();
  for (const { node, op, dtypes, kind } of p.cpuNodes) if (kind === 'fallback') byType.set(op + dtypes, [...(byType.get(op + dtypes) ?? []), node]);
  return [...byType]
    .map(([type, nodes]) => {
      const names = nodes.slice(0, shown).map((n) => `'${n}'`).join(', ');
      const more = nodes.length > shown ? ` and ${nodes.length - shown} more` : '';
      return `${type} x${nodes.length} (${nodes.length === 1 ? 'node' : 'nodes'} ${names}${more})`;
    })
    .join('; ');
}

// Runs in a child: ONNX Runtime's native logger writes to the process's own stdout/stderr, which
// Node cannot redirect in-process, so a child creates the same session with verbose logging.
const PROBE = `
const [ortPath, modelFile, optionsJson] = process.argv.slice(1);
const ort = require(ortPath);
ort.env.logLevel = 'verbose';
ort.InferenceSession.create(modelFile, { ...JSON.parse(optionsJson), logSeverityLevel: 0, logVerbosityLevel: 0 })
  .then(() => process.exit(0), (e) => { console.error('PROBE-ERROR ' + e.message.replace(/\\n/g, ' ')); process.exit(1); });
`;
const KEEP = /VerifyEachNodeIsAssignedToAnEp|Force fallback to CPU|PROBE-ERROR/;

/**
 * Placement of `model` as a session with these options would place it, learnt by creating that
 * session in a child process with ONNX Runtime's verbose log on. Costs one extra session creation
 * (the child loads the weights too, and exits before the caller's session is made).
 */
export async function probePlacement(
  model: ModelIR,
  bytes: Uint8Array,
  options: ort.InferenceSession.SessionOptions,
  ortPath: string,
): Promise<Placement> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codistill-placement-'));
  try {
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, bytes);
    const child = spawn(process.execPath, ['-e', PROBE, ortPath, file, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const kept: string[] = [];
    const read = (stream: NodeJS.ReadableStream) =>
      new Promise<void>((resolve) => readline.createInterface({ input: stream }).on('line', (l) => KEEP.test(l) && kept.push(l)).on('close', resolve));
    const [code] = await Promise.all([new Promise<number | null>((resolve) => child.on('close', resolve)), read(child.stdout), read(child.stderr)]);
    if (code !== 0) {
      const err = kept.find((l) => l.startsWith('PROBE-ERROR'))?.slice('PROBE-ERROR '.length);
      throw new Error(`placement probe: ${err ?? `the child process exited with ${code}`}`);
    }
    return parsePlacementLog(kept, model, String(options.executionProviders?.[0]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

import fs from 'node:fs';

/** One kernel call in an ONNX Runtime profile. */
export interface KernelEvent {
  /** The node's name. */
  node: string;
  op: string;
  /** Microseconds. */
  us: number;
  /** Each input's shape, in the node's input order. */
  inputShapes: number[][];
}

/** One op type's share of an ONNX Runtime profile. */
export interface OpTime {
  op: string;
  ms: number;
  /** Of all kernel time in the profile. */
  share: number;
  calls: number;
}

interface TraceEvent {
  cat?: string;
  name?: string;
  ts?: number;
  dur?: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
}

const KERNEL_SUFFIX = '_kernel_time';

/**
 * Whether a node or kernel call is a matrix product: MatMul and Gemm, and FusedMatMul, which ONNX
 * Runtime's optimiser makes of a MatMul with a transpose or scale folded in.
 */
export const isMatrixProduct = (n: { op: string }): boolean => n.op === 'MatMul' || n.op === 'Gemm' || n.op === 'FusedMatMul';

/**
 * Each run's kernel calls, from a profile Runner.endProfiling wrote (ONNX Runtime's Chrome trace:
 * a `model_run` event spans each run, a `Node` event named `<node>_kernel_time` each kernel call,
 * times in µs). `skipRuns` leaves out the first runs (warm-up).
 */
export function profileRuns(file: string, skipRuns = 0): KernelEvent[][] {
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as TraceEvent[];
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').slice(skipRuns);
  const kernels = events.filter((e) => e.cat === 'Node' && e.name?.endsWith(KERNEL_SUFFIX) && e.args?.op_name);
  const within = (e: TraceEvent, run: TraceEvent) => e.ts! >= run.ts! && e.ts! < run.ts! + run.dur!;
  return runs.map((run) =>
    kernels
      .filter((e) => within(e, run))
      .map((e) => ({
        node: e.name!.slice(0, -KERNEL_SUFFIX.length),
        op: e.args!.op_name!,
        us: e.dur ?? 0,
        inputShapes: (e.args!.input_type_shape ?? []).map((s) => Object.values(s)[0]),
      })),
  );
}

/** Kernel time by op type, most first, over the profile's runs after the first `skipRuns`. */
export function summariseProfile(file: string, skipRuns = 0): OpTime[] {
  const byOp = new Map<string, { us: number; calls: number }>();
  for (const e of profileRuns(file, skipRuns).flat()) {
    const t = byOp.get(e.op) ?? { us: 0, calls: 0 };
    t.us += e.us;
    t.calls++;
    byOp.set(e.op, t);
  }
  const total = [...byOp.values()].reduce((a, t) => a + t.us, 0);
  return [...byOp]
    .map(([op, t]) => ({ op, ms: t.us / 1000, share: total ? t.us / total : 0, calls: t.calls }))
    .sort((a, b) => b.ms - a.ms);
}

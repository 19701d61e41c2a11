import fs from 'node:fs';

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
  dur?: number;
  args?: { op_name?: string };
}

/**
 * Kernel time by op type, most first, from a profile Runner.endProfiling wrote (ONNX Runtime's
 * Chrome trace: a `Node` event per kernel call named `<node>_kernel_time`, duration in µs).
 * `skipRuns` leaves out the first runs' events (warm-up), counted by the `model_run` events.
 */
export function summariseProfile(file: string, skipRuns = 0): OpTime[] {
  const events = JSON.parse(fs.readFileSync(file, 'utf8')) as TraceEvent[];
  const byOp = new Map<string, { us: number; calls: number }>();
  let runs = 0;
  for (const e of events) {
    if (e.cat === 'Session' && e.name === 'model_run') runs++;
    // A run's node events precede its model_run event (written when the run ends).
    if (runs < skipRuns || e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name)
      continue;
    const t = byOp.get(e.args.op_name) ?? { us: 0, calls: 0 };
    t.us += e.dur ?? 0;
    t.calls++;
    byOp.set(e.args.op_name, t);
  }
  const total = [...byOp.values()].reduce((a, t) => a + t.us, 0);
  return [...byOp]
    .map(([op, t]) => ({ op, ms: t.us / 1000, share: total ? t.us / total : 0, calls: t.calls }))
    .sort((a, b) => b.ms - a.ms);
}

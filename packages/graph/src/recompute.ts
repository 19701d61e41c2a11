// Activation recomputation (gradient checkpointing) as a rewrite of a differentiated graph: the
// backward pass of each segment (a decoder layer) reads a copy of the segment's forward nodes made
// just before it runs, so the forward's intermediates die inside the forward pass.
import type { GraphBuilder, Value } from './builder.js';
import { isFloat } from './dtype.js';
import type { NodeDef } from './ir.js';
import { after, zeroAfter } from './after.js';
import { GraphError } from './graph-error.js';
import { isMatrixProduct } from './profile.js';

/**
 * - `layer`: keep each segment's inputs only and recompute the whole segment in the backward pass.
 * - `selective`: also keep the outputs of matrix products with weights (the projections) and
 *   recompute the rest: attention scores and probabilities, masks, activation functions'
 *   elementwise intermediates (Megatron-LM's selective recomputation).
 */
export const RECOMPUTE_POLICIES = ['none', 'layer', 'selective'] as const;
export type RecomputePolicy = (typeof RECOMPUTE_POLICIES)[number];

export interface RecomputeOptions {
  policy: RecomputePolicy;
  /** The forward nodes of each segment, e.g. each decoder layer's (see buildCausalLm's `layers`). */
  segments: NodeDef[][];
}

/** What the rewrite needs to know of the differentiated graph. */
export interface Differentiated {
  /** Index in graph.nodes of the first backward node. */
  backwardStart: number;
  /** The gradient of a forward value, when the loss reaches it. */
  gradOf(name: string): Value | undefined;
  /** The values differentiated with respect to (trainable graph inputs: not activations). */
  params: ReadonlySet<string>;
}

/** Whether values depend on data fed per step, as opposed to weights, parameters and constants. */
class Activations {
  private readonly memo = new Map<string, boolean>();
  constructor(
    private readonly g: GraphBuilder,
    private readonly params: ReadonlySet<string>,
  ) {}

  has(name: string): boolean {
    let known = this.memo.get(name);
    if (known === undefined) {
      const producer = this.g.producer(name);
      known = producer
        ? producer.inputs.some((i) => i !== '' && this.has(i))
        : this.g.inputs.some((i) => i.name === name) && !this.params.has(name);
      this.memo.set(name, known);
    }
    return known;
  }
}

/** One segment's rewrite: which of its values are kept, and their recomputed copies. */
class Segment {
  private readonly produced = new Map<string, NodeDef>();
  private readonly kept = new Set<string>();
  /** Values the rest of the forward graph reads (the layer's output). */
  readonly exported: string[] = [];
  private readonly copies = new Map<string, string>();
  private gate?: Value;

  constructor(
    private readonly g: GraphBuilder,
    private readonly activations: Activations,
    nodes: NodeDef[],
    consumers: Map<string, NodeDef[]>,
    outputs: ReadonlySet<string>,
    policy: RecomputePolicy,
  ) {
    const inside = new Set(nodes);
    for (const n of nodes) for (const o of n.outputs) this.produced.set(o, n);
    for (const [name, n] of this.produced) {
      const exported = outputs.has(name) || (consumers.get(name) ?? []).some((c) => !inside.has(c));
      if (exported) this.exported.push(name);
      const projection = policy === 'selective' && isMatrixProduct(n) && n.inputs.some((i) => !activations.has(i));
      if (exported || projection || !activations.has(name)) this.kept.add(name);
    }
  }

  /** Values of this segment the backward pass reads that are not kept: these are recomputed. */
  recomputed(name: string): boolean {
    return this.produced.has(name) && !this.kept.has(name);
  }

  /**
   * The name the backward pass reads for `name`: its recomputed copy. Copies are made on first
   * request, after `gradient` (the gradient reaching the segment's output) exists, and every
   * copy of an activation depends on it (see after.ts), so ONNX Runtime can neither run the
   * recomputation early nor merge it with the forward's nodes (common subexpression elimination).
   */
  copy(name: string, gradient: Value): string {
    const done = this.copies.get(name);
    if (done) return done;
    const n = this.produced.get(name)!;
    const inputs = n.inputs.map((i) => (i === '' ? undefined : this.input(i, gradient)));
    const outs = this.g.op(n.op, inputs, n.attrs, { name: `${n.name}.recompute`, outputs: n.outputs.length });
    n.outputs.forEach((o, k) => this.copies.set(o, outs[k].name));
    return this.copies.get(name)!;
  }

  private input(name: string, gradient: Value): Value {
    if (this.recomputed(name)) return this.g.value(this.copy(name, gradient));
    const v = this.g.value(name);
    // Kept and outside activations enter through the gate; weights and constants as they are.
    if (!isFloat(v.dtype) || !this.activations.has(name)) return v;
    this.gate ??= zeroAfter(gradient);
    return after(v, this.gate);
  }
}

/** Index of every value's consumers among `nodes`. */
function consumersOf(nodes: NodeDef[]): Map<string, NodeDef[]> {
  const map = new Map<string, NodeDef[]>();
  for (const n of nodes) for (const i of n.inputs) (map.get(i) ?? map.set(i, []).get(i)!).push(n);
  return map;
}

/**
 * Rewrites the backward nodes of `g` (from `d.backwardStart` on) to read recomputed copies of
 * each segment's activations, and places each segment's copies just before its first backward
 * node that reads one.
 */
export function recompute(g: GraphBuilder, d: Differentiated, opts: RecomputeOptions): void {
  if (opts.policy === 'none') return;
  const forward = g.nodes.slice(0, d.backwardStart);
  const backward = g.nodes.slice(d.backwardStart);
  const forwardConsumers = consumersOf(forward);
  const outputs = new Set(g.outputs.map((o) => o.name));
  const activations = new Activations(g, d.params);
  for (const nodes of opts.segments) {
    const segment = new Segment(g, activations, nodes, forwardConsumers, outputs, opts.policy);
    const gradient = segment.exported.map((o) => d.gradOf(o)).find((v) => v !== undefined);
    if (!gradient) continue;
    const before = g.nodes.length;
    let first: NodeDef | undefined;
    for (const n of backward) {
      n.inputs.forEach((i, k) => {
        if (!segment.recomputed(i)) return;
        first ??= n;
        n.inputs[k] = segment.copy(i, gradient);
      });
    }
    if (!first) continue;
    const at = g.nodes.indexOf(first);
    const source = g.producer(gradient.name);
    if (source && g.nodes.indexOf(source) >= at) throw new GraphError(`recompute: the gradient '${gradient.name}' of a segment's output is made after the segment's backward pass starts`);
    g.nodes.splice(at, 0, ...g.nodes.splice(before));
  }
}

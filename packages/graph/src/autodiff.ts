import type { GraphBuilder, Value } from './builder.js';
import { isFloat } from './dtype.js';
import type { NodeDef } from './ir.js';
import { onesLike, zerosLike } from './ops/constant-of-shape.js';
import { identity } from './ops/identity.js';
import { add } from './ops/add.js';
import { GraphError } from './graph-error.js';
import type { VjpRule } from './op-def.js';
import { getOp } from './registry.js';
import { recompute, type RecomputeOptions } from './recompute.js';
import { fmtShape, mayEqual, staticSize } from './shape.js';

/** Name under which the gradient of `name` is exposed as a graph output. */
export const gradName = (name: string): string => `${name}.grad`;

/** The scope the backward pass's nodes are named in (`grad/...`); recomputed forward nodes are not (`<name>.recompute`). */
export const GRAD_SCOPE = 'grad';

export interface GradientOptions {
  /**
   * Seed gradient of the loss, of its dtype and shape: the gradients are those of sum(loss * seed).
   * Without it the loss must hold one value (see checkLoss).
   */
  seed?: Value;
  /** Add each gradient as a graph output named gradName(wrt) (default true). */
  expose?: boolean;
  /** Recompute segments' activations in the backward pass instead of keeping them (see recompute). */
  recompute?: RecomputeOptions[];
}

/** A node whose gradient is given by the caller rather than by its op's rule (see customGradient). */
interface CustomGradient {
  /** The values it differentiates into, in place of the node's own inputs. */
  inputs: Value[];
  vjp: VjpRule;
}

const customGradients = new WeakMap<NodeDef, CustomGradient>();

/**
 * `value` with a gradient rule of its own, as tf.customGrad / tfjs' customGrad: the result is an
 * Identity of `value` whose VJP is `vjp`, taken with respect to `inputs` (ctx.inputs, ctx.needs
 * and the returned gradients follow their order). Autodiff does not look behind it: the nodes
 * computing `value` get no backward nodes, so a composite can compute its gradient in the
 * forward pass (see linearCrossEntropy) instead of keeping what a generic backward would need.
 */
export function customGradient(value: Value, inputs: Value[], vjp: VjpRule): Value {
  const out = identity(value);
  customGradients.set(value.graph.producer(out.name)!, { inputs, vjp });
  return out;
}

/** The values a node's gradient flows into: its inputs, or those of its custom gradient. */
const gradInputs = (node: NodeDef): string[] => customGradients.get(node)?.inputs.map((v) => v.name) ?? node.inputs;

/** The sum of `parts`, pairwise. */
function addAll(parts: Value[]): Value {
  if (parts.length === 1) return parts[0];
  const half = parts.length >> 1;
  return add(addAll(parts.slice(0, half)), addAll(parts.slice(half)));
}

/** Values reachable forward from `wrt` through differentiable float values. */
function forwardReach(nodes: NodeDef[], g: GraphBuilder, wrt: Value[]): Set<string> {
  const reach = new Set(wrt.map((v) => v.name));
  for (const n of nodes) {
    if (!gradInputs(n).some((i) => reach.has(i))) continue;
    for (const o of n.outputs) if (isFloat(g.value(o).dtype)) reach.add(o);
  }
  return reach;
}

/** Values the loss depends on. */
function backwardReach(nodes: NodeDef[], loss: Value): Set<string> {
  const reach = new Set([loss.name]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (n.outputs.some((o) => reach.has(o))) for (const inp of gradInputs(n)) if (inp) reach.add(inp);
  }
  return reach;
}

/** The integers a VJP reads from an input (axes, starts, ...): only small integer initializers are known. */
function constIntsOf(node: NodeDef, input: Value | undefined, i: number): number[] {
  const c = input && input.graph.constantOf(input.name);
  if (!c) throw new GraphError(`VJP of ${node.op} ('${node.name}') needs input ${i} to be a constant integer tensor`);
  return Array.from(c as ArrayLike<number | bigint>, Number);
}

function checkGrad(node: NodeDef, x: Value, dx: Value): void {
  if (dx.dtype !== x.dtype || dx.rank !== x.rank) {
    throw new GraphError(
      `VJP of ${node.op} ('${node.name}') returned ${dx.dtype}${fmtShape(dx.shape)} for input ` +
        `'${x.name}' of ${x.dtype}${fmtShape(x.shape)}`,
    );
  }
}

/**
 * Refuses a loss that gradients() cannot differentiate as asked. Without a seed the loss must hold
 * one value, as PyTorch's backward() asks: the gradients of a larger one would be those of its
 * sum, while a training step reports its first element. A seed must match the loss.
 */
export function checkLoss(loss: Value, seed?: Value): void {
  const desc = `${loss.dtype}${fmtShape(loss.shape)}`;
  if (!isFloat(loss.dtype)) throw new GraphError(`the loss '${loss.name}' must be a float tensor, is ${desc}`);
  if (seed) {
    if (seed.dtype !== loss.dtype || !mayEqual(seed.shape, loss.shape)) throw new GraphError(`the seed '${seed.name}' (${seed.dtype}${fmtShape(seed.shape)}) of the loss '${loss.name}' must have the loss's dtype and shape, ${desc}`);
    return;
  }
  if (staticSize(loss.shape) !== 1) {
    throw new GraphError(`the loss '${loss.name}' must be a scalar (shape []), got ${fmtShape(loss.shape)}: reduce it first, e.g. with ops.reduceMean(loss, undefined, false)`);
  }
}

/**
 * Reverse-mode autodiff: appends to the loss's graph the nodes computing d loss / d wrt, using
 * each op's VJP rule. Only nodes on a path from some `wrt` to the loss get backward nodes, so
 * frozen weights and integer bookkeeping cost nothing; fan-out gradients are summed.
 */
export function gradients(loss: Value, wrt: Value[], opts: GradientOptions = {}): Map<string, Value> {
  checkLoss(loss, opts.seed);
  const g = loss.graph;
  const nodes = [...g.nodes];
  const fwd = forwardReach(nodes, g, wrt);
  const bwd = backwardReach(nodes, loss);
  const needed = (name: string) => name !== '' && fwd.has(name) && bwd.has(name);
  const contributions = new Map<string, Value[]>();
  const push = (name: string, v: Value) => contributions.set(name, [...(contributions.get(name) ?? []), v]);
  // A value's gradient is summed once, when its producer is reached: every contribution is in by
  // then. A tree of binary Adds, not one Sum node: WebGPU has no Sum kernel.
  const totals = new Map<string, Value>();
  const total = (name: string): Value | undefined => {
    const parts = contributions.get(name);
    if (parts && !totals.has(name)) totals.set(name, g.scope(GRAD_SCOPE, () => addAll(parts)));
    return totals.get(name);
  };
  const backwardStart = g.nodes.length;

  if (!fwd.has(loss.name)) throw new GraphError(`loss '${loss.name}' does not depend on any of the given values`);
  push(loss.name, opts.seed ?? g.scope(GRAD_SCOPE, () => onesLike(loss)));

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    const names = gradInputs(node);
    const needs = names.map(needed);
    if (!needs.some(Boolean) || !node.outputs.some((o) => contributions.has(o))) continue;
    const vjp = customGradients.get(node)?.vjp ?? getOp(node.op)?.vjp;
    if (!vjp) throw new GraphError(`op ${node.op} ('${node.name}') has no VJP rule, but the loss needs its gradient`);
    const inputs = names.map((n) => (n ? g.value(n) : undefined));
    const outputs = node.outputs.map((n) => g.value(n));
    const grads = node.outputs.map(total);
    const dxs = g.scope(`${GRAD_SCOPE}/${node.name}`, () =>
      vjp({
        node,
        inputs,
        outputs,
        grads,
        needs,
        attr: (name, fallback) => (node.attrs[name] ?? fallback) as never,
        constInts: (j) => constIntsOf(node, inputs[j], j),
      }),
    );
    needs.forEach((need, j) => {
      const dx = dxs[j];
      if (!need) return;
      if (!dx) throw new GraphError(`VJP of ${node.op} ('${node.name}') gave no gradient for input ${j}`);
      checkGrad(node, inputs[j]!, dx);
      push(names[j], dx);
    });
  }

  const out = new Map<string, Value>();
  for (const w of wrt) {
    let dw = total(w.name) ?? g.scope(GRAD_SCOPE, () => zerosLike(w));
    if (opts.expose !== false) dw = g.output(dw, gradName(w.name));
    out.set(w.name, dw);
  }
  const differentiated = { backwardStart, gradOf: (name: string) => totals.get(name), params: new Set(wrt.map((w) => w.name)) };
  for (const r of opts.recompute ?? []) recompute(g, differentiated, r);
  return out;
}

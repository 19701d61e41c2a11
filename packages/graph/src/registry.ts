import type { TypedArray } from './dtype.js';
import type { AttrKind, AttrValue, Dim, NodeDef, TensorType } from './ir.js';
import type { Value } from './builder.js';

/** What shape inference sees of a node. */
export interface InferCtx {
  node: NodeDef;
  /** Types of the inputs; undefined where an optional input is omitted. */
  inputs: (TensorType | undefined)[];
  attr<T extends AttrValue>(name: string, fallback?: T): T;
  /** The value of input i when it is a known constant. */
  constant(i: number): TypedArray | undefined;
  /** The dims an integer input holds when they are known (a constant, or a shape computed from symbols). */
  shapeValue(i: number): Dim[] | undefined;
  /** Record the dims an integer output holds, so later Reshape/Expand nodes can use them. */
  setShapeValue(output: number, dims: Dim[]): void;
  fail(message: string): never;
}

/** What a VJP rule sees: the forward node, its values and the gradients of its outputs. */
export interface VjpCtx {
  node: NodeDef;
  inputs: (Value | undefined)[];
  outputs: Value[];
  /** Gradient of each output; undefined where the output does not reach the loss. */
  grads: (Value | undefined)[];
  /** Which inputs the loss needs gradients for. */
  needs: boolean[];
  attr<T extends AttrValue>(name: string, fallback?: T): T;
}

export type VjpRule = (ctx: VjpCtx) => (Value | undefined)[];

export interface OpDef {
  op: string;
  attrs?: Record<string, AttrKind>;
  infer(ctx: InferCtx): TensorType[];
  /** Gradients of the inputs. Ops without a rule pass no gradient (Shape, Equal, ...). */
  vjp?: VjpRule;
}

const registry = new Map<string, OpDef>();

export function registerOp(def: OpDef): OpDef {
  if (registry.has(def.op)) throw new Error(`op ${def.op} registered twice`);
  registry.set(def.op, def);
  return def;
}

export function getOp(op: string): OpDef | undefined {
  return registry.get(op);
}

export function attrKinds(op: string): Record<string, AttrKind> {
  return registry.get(op)?.attrs ?? {};
}

export function registeredOps(): string[] {
  return [...registry.keys()].sort();
}

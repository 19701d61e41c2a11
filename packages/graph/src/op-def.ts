// What an op's definition provides and what its rules see: the builder runs the shape rule,
// autodiff the VJP. Types only, erased at run time: the registry stores definitions without
// loading the builder that reads them (see test/import-cycles.test.ts).
import type { Value } from './builder.js';
import type { TypedArray } from './dtype.js';
import type { AttrKind, AttrValue, Dim, NodeDef, TensorType } from './ir.js';

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
  /**
   * What an int64 vector input holds, element by element: its shape value when known, else one
   * name per element (`<value>:<k>`) that says only which elements are equal. For Split's sizes,
   * which are its pieces' dims; not for Reshape's or Expand's targets, where 0, -1 and 1 are special.
   */
  elements(i: number): Dim[] | undefined;
  /** Record what an integer output holds element by element (a Slice of a vector passes its elements on). */
  setElements(output: number, names: Dim[]): void;
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
  /** The integers input i holds (axes, starts, ...); a GraphError naming the node when it is not a known constant. */
  constInts(i: number): number[];
}

export type VjpRule = (ctx: VjpCtx) => (Value | undefined)[];

export interface OpDef {
  op: string;
  /** The operator set's domain when not ONNX's own, e.g. 'com.microsoft' (ONNX Runtime's contrib ops, version 1). */
  domain?: string;
  attrs?: Record<string, AttrKind>;
  infer(ctx: InferCtx): TensorType[];
  /** Gradients of the inputs. Ops without a rule pass no gradient (Shape, Equal, ...). */
  vjp?: VjpRule;
}

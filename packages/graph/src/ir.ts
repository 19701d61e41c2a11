import type { DType, TypedArray } from './dtype.js';

/** A dimension: a fixed size, or a symbolic name shared by every dimension that must be equal. */
export type Dim = number | string;
export type Shape = Dim[];

export interface TensorType {
  dtype: DType;
  shape: Shape;
}

/** Where an initializer's bytes live when they are not in the model file. */
export interface ExternalData {
  location: string;
  offset: number;
  length: number;
}

/** A named tensor with data: inline (`data`) or in an external file (`external`). */
export interface TensorInit {
  name: string;
  dtype: DType;
  dims: number[];
  data?: TypedArray;
  external?: ExternalData;
}

export type AttrKind = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'strings' | 'tensor';
export type AttrValue = number | string | number[] | string[] | TensorInit;

export interface NodeDef {
  name: string;
  op: string;
  inputs: string[]; // '' marks an omitted optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
  /** Attribute kinds of nodes read from a file, for ops codistill has no definition of. */
  attrKinds?: Record<string, AttrKind>;
  domain?: string;
}

export interface ValueInfo extends TensorType {
  name: string;
}

export interface GraphIR {
  name: string;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeDef[];
  initializers: TensorInit[];
  valueInfo: ValueInfo[];
}

export interface ModelIR {
  graph: GraphIR;
  opset: number;
  irVersion: number;
  producer: string;
  metadata: Record<string, string>;
}

/** The single ONNX opset every codistill graph is emitted in (see README: why 18). */
export const OPSET = 18;
/** IR version 8 is the first that carries opset 18. */
export const IR_VERSION = 8;

import { allocate, float32ToHalf, isFloat, isHalf, type DType, type TypedArray } from './dtype.js';
import {
  IR_VERSION,
  OPSET,
  type AttrValue,
  type Dim,
  type ModelIR,
  type NodeDef,
  type Shape,
  type TensorInit,
  type TensorType,
  type ValueInfo,
} from './ir.js';
import { GraphError } from './graph-error.js';
import type { InferCtx } from './op-def.js';
import { getOp } from './registry.js';
import { fmtShape } from './shape.js';

/** A tensor in a graph under construction: its name, dtype and (possibly symbolic) shape. */
export class Value {
  constructor(
    readonly graph: GraphBuilder,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${fmtShape(this.shape)}`;
  }
}

export interface OpOptions {
  /** Node name (made unique); defaults to the op type. */
  name?: string;
  /** Number of outputs, or explicit output names. */
  outputs?: number | string[];
}

/**
 * Builds an ONNX graph node by node, inferring every output's dtype and shape as it goes so
 * mistakes surface at the node that makes them, not inside ONNX Runtime.
 */
export class GraphBuilder {
  readonly nodes: NodeDef[] = [];
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers = new Map<string, TensorInit>();
  private readonly values = new Map<string, Value>();
  private readonly producers = new Map<string, NodeDef>();
  private readonly constants = new Map<string, TypedArray>();
  private readonly shapeValues = new Map<string, Dim[]>();
  private readonly elementNames = new Map<string, Dim[]>();
  private readonly used = new Set<string>();
  private readonly scopes: string[] = [];
  private readonly shared = new Map<string, Value>();

  constructor(readonly name = 'codistill') {}

  /** A name not used yet in this graph, prefixed with the current scope. */
  fresh(base: string): string {
    const scoped = [...this.scopes, base].join('/');
    let name = scoped;
    for (let i = 1; this.used.has(name); i++) name = `${scoped}_${i}`;
    this.used.add(name);
    return name;
  }

  /** Run `fn` with node names prefixed by `scope` (e.g. 'layers.3/attn'), for readable dumps. */
  scope<T>(scope: string, fn: () => T): T {
    this.scopes.push(scope);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  value(name: string): Value {
    const v = this.values.get(name);
    if (!v) throw new GraphError(`no value named '${name}' in graph '${this.name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  producer(name: string): NodeDef | undefined {
    return this.producers.get(name);
  }

  private define(name: string, type: TensorType): Value {
    if (this.values.has(name)) throw new GraphError(`value '${name}' defined twice`);
    this.used.add(name);
    const v = new Value(this, name, type.dtype, type.shape);
    this.values.set(name, v);
    return v;
  }

  input(name: string, dtype: DType, shape: Shape): Value {
    this.inputs.push({ name, dtype, shape });
    return this.define(name, { dtype, shape });
  }

  /** A weight with inline data or external data (see TensorInit). */
  initializer(t: TensorInit): Value {
    this.initializers.set(t.name, t);
    if (t.data && !isFloat(t.dtype) && t.data.length <= 64) this.constants.set(t.name, t.data);
    return this.define(t.name, { dtype: t.dtype, shape: [...t.dims] });
  }

  /** A small constant tensor (stored as an initializer so ONNX Runtime can fold it). */
  constant(values: ArrayLike<number> | TypedArray, dtype: DType, dims: number[] = [values.length], name = 'const'): Value {
    // 16-bit floats are stored as bit patterns (a Uint16Array is taken as such, as hostTensor does):
    // numbers are encoded, where a plain copy would store 1 as 2^-24.
    const half = isHalf(dtype);
    const data = half ? (values instanceof Uint16Array ? values : float32ToHalf(dtype, values as ArrayLike<number>)) : allocate(dtype, values.length);
    if (dtype === 'int64') for (let i = 0; i < values.length; i++) (data as BigInt64Array)[i] = BigInt(values[i]);
    else if (!half) (data as Float32Array).set(values as ArrayLike<number>);
    return this.initializer({ name: this.fresh(name), dtype, dims, data });
  }

  scalar(v: number, dtype: DType = 'float32'): Value {
    return this.constant([v], dtype, [], 'scalar');
  }

  /** An int64 vector constant; equal ones are one initializer, so nodes reading them are equal nodes too. */
  int64s(values: number[]): Value {
    return this.sharedValue(`int64s:${values.join()}`, () => this.constant(values, 'int64', [values.length], 'ints'));
  }

  /**
   * The value `make` returns for `key` the first time, that one again after: for values that
   * depend on nothing else than the key says (a constant, the runtime shape of a symbolic shape).
   */
  sharedValue(key: string, make: () => Value): Value {
    let v = this.shared.get(key);
    if (!v) this.shared.set(key, (v = make()));
    return v;
  }

  /** Known constant data of a value (small integer initializers only). */
  constantOf(name: string): TypedArray | undefined {
    return this.constants.get(name);
  }

  shapeValueOf(name: string): Dim[] | undefined {
    const hint = this.shapeValues.get(name);
    if (hint) return hint;
    const c = this.constants.get(name);
    if (c instanceof BigInt64Array) return Array.from(c, Number);
    return undefined;
  }

  /** What an integer vector holds element by element (InferCtx.elements). */
  elementsOf(name: string): Dim[] | undefined {
    const known = this.shapeValueOf(name) ?? this.elementNames.get(name);
    if (known) return known;
    const v = this.values.get(name);
    const [n] = v?.shape ?? [];
    return v?.dtype === 'int64' && v.rank === 1 && typeof n === 'number' ? Array.from({ length: n }, (_, i) => `${name}:${i}`) : undefined;
  }

  /** Add a node; infers and returns its outputs. Omitted optional inputs are `undefined`. */
  op(op: string, inputs: (Value | undefined)[], attrs: Record<string, AttrValue> = {}, opts: OpOptions = {}): Value[] {
    const def = getOp(op);
    if (!def) throw new GraphError(`op '${op}' has no definition in codistill's registry`);
    for (const v of inputs) {
      if (v && v.graph !== this) throw new GraphError(`${op}: input '${v.name}' belongs to another graph`);
    }
    const nodeName = this.fresh(opts.name ?? op);
    const nOut = typeof opts.outputs === 'number' ? opts.outputs : (opts.outputs?.length ?? 1);
    const outNames = Array.isArray(opts.outputs)
      ? opts.outputs
      : Array.from({ length: nOut }, (_, i) => this.fresh(nOut === 1 ? `${nodeName}:out` : `${nodeName}:out${i}`));
    while (inputs.length && inputs[inputs.length - 1] === undefined) inputs = inputs.slice(0, -1);
    const node: NodeDef = { name: nodeName, op, inputs: inputs.map((v) => v?.name ?? ''), outputs: outNames, attrs, ...(def.domain ? { domain: def.domain } : {}) };
    const where = `node '${nodeName}' (${op})`;
    const hints: Dim[][] = [];
    const elements: Dim[][] = [];
    const ctx: InferCtx = {
      node,
      inputs: inputs.map((v) => (v ? { dtype: v.dtype, shape: v.shape } : undefined)),
      attr: <T extends AttrValue>(name: string, fallback?: T): T => {
        const v = attrs[name] ?? fallback;
        if (v === undefined) throw new GraphError(`${where}: missing attribute '${name}'`);
        return v as T;
      },
      constant: (i) => (inputs[i] ? this.constants.get(inputs[i]!.name) : undefined),
      shapeValue: (i) => (inputs[i] ? this.shapeValueOf(inputs[i]!.name) : undefined),
      setShapeValue: (i, dims) => (hints[i] = dims),
      elements: (i) => (inputs[i] ? this.elementsOf(inputs[i]!.name) : undefined),
      setElements: (i, names) => (elements[i] = names),
      fail: (message) => {
        const desc = inputs.map((v) => (v ? `${v.dtype}${fmtShape(v.shape)}` : '-')).join(', ');
        throw new GraphError(`${where}: ${message} (inputs: ${desc})`);
      },
    };
    const types = def.infer(ctx);
    if (types.length < nOut) ctx.fail(`infers ${types.length} outputs, ${nOut} requested`);
    this.nodes.push(node);
    return outNames.map((name, i) => {
      const v = this.define(name, types[i]);
      this.producers.set(name, node);
      if (hints[i]) this.shapeValues.set(name, hints[i]);
      if (elements[i]) this.elementNames.set(name, elements[i]);
      return v;
    });
  }

  /** Mark a value as a graph output, under `name` if given (an Identity node renames it). */
  output(v: Value, name?: string): Value {
    let out = v;
    if (name && name !== v.name) out = this.op('Identity', [v], {}, { outputs: [name] })[0];
    if (this.outputs.some((o) => o.name === out.name)) throw new GraphError(`output '${out.name}' declared twice`);
    this.outputs.push({ name: out.name, dtype: out.dtype, shape: out.shape });
    return out;
  }

  toModel(metadata: Record<string, string> = {}): ModelIR {
    return {
      graph: {
        name: this.name,
        inputs: [...this.inputs],
        outputs: [...this.outputs],
        nodes: [...this.nodes],
        initializers: [...this.initializers.values()],
        valueInfo: [],
      },
      opset: OPSET,
      irVersion: IR_VERSION,
      producer: 'codistill',
      metadata,
    };
  }
}

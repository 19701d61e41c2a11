import protobuf from 'protobufjs';
import { allocate, dtypeFromOnnx, fromBytes, ONNX_DTYPE, toBytes, type DType } from '../dtype.js';
import type { AttrKind, AttrValue, GraphIR, ModelIR, NodeDef, TensorInit, ValueInfo } from '../ir.js';
import { attrKinds } from '../registry.js';
import { ATTR_TYPE, onnxSchema } from './onnx-schema.js';

const root = protobuf.Root.fromJSON(onnxSchema);
const ModelProto = root.lookupType('onnx.ModelProto');

/* eslint-disable @typescript-eslint/no-explicit-any -- protobuf messages are plain objects here */

const num = (v: any): number => (typeof v === 'object' && v !== null ? Number(v.toString()) : Number(v));

function tensorToProto(t: TensorInit): any {
  const proto: any = { name: t.name, dims: t.dims, dataType: ONNX_DTYPE[t.dtype] };
  if (t.external) {
    proto.dataLocation = 1;
    proto.externalData = [
      { key: 'location', value: t.external.location },
      { key: 'offset', value: String(t.external.offset) },
      { key: 'length', value: String(t.external.length) },
    ];
  } else if (t.data) {
    proto.rawData = toBytes(t.data);
  } else {
    throw new Error(`initializer '${t.name}' has neither data nor external data`);
  }
  return proto;
}

function tensorFromProto(p: any): TensorInit {
  const dtype = dtypeFromOnnx(p.dataType);
  const dims: number[] = (p.dims ?? []).map(num);
  const t: TensorInit = { name: p.name ?? '', dtype, dims };
  if (p.dataLocation === 1) {
    const kv = Object.fromEntries((p.externalData ?? []).map((e: any) => [e.key, e.value]));
    t.external = { location: kv.location, offset: Number(kv.offset ?? 0), length: Number(kv.length ?? 0) };
  } else if (p.rawData && p.rawData.length > 0) {
    t.data = fromBytes(dtype, new Uint8Array(p.rawData));
  } else {
    t.data = typedFieldData(dtype, p, dims.reduce((a, b) => a * b, 1));
  }
  return t;
}

/** Tensors written without raw_data keep values in the typed repeated fields. */
function typedFieldData(dtype: DType, p: any, size: number) {
  const out = allocate(dtype, size);
  const src: any[] =
    dtype === 'float32'
      ? p.floatData
      : dtype === 'float64'
        ? p.doubleData
        : dtype === 'int64'
          ? p.int64Data
          : p.int32Data; // int32, int8, uint8, bool, float16/bfloat16 bit patterns
  for (let i = 0; i < size && src && i < src.length; i++) {
    (out as any)[i] = dtype === 'int64' ? BigInt(num(src[i])) : num(src[i]);
  }
  return out;
}

function valueInfoToProto(v: ValueInfo): any {
  const dim = v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name: v.name, type: { tensorType: { elemType: ONNX_DTYPE[v.dtype], shape: { dim } } } };
}

function valueInfoFromProto(p: any): ValueInfo {
  const tt = p.type?.tensorType;
  if (!tt) throw new Error(`value '${p.name}' is not a tensor`);
  // The oneof case says which field is set: proto3 defaults make an unset dim_value read as 0.
  const shape = (tt.shape?.dim ?? []).map((d: any, i: number) =>
    d.value === 'dimValue' ? num(d.dimValue) : d.value === 'dimParam' ? d.dimParam : `${p.name}_d${i}`,
  );
  return { name: p.name, dtype: dtypeFromOnnx(tt.elemType), shape };
}

function attrToProto(name: string, kind: AttrKind, value: AttrValue): any {
  const a: any = { name, type: ATTR_TYPE[kind] };
  switch (kind) {
    case 'int':
      a.i = value;
      break;
    case 'float':
      a.f = value;
      break;
    case 'string':
      a.s = new TextEncoder().encode(value as string);
      break;
    case 'ints':
      a.ints = value;
      break;
    case 'floats':
      a.floats = value;
      break;
    case 'strings':
      a.strings = (value as string[]).map((s) => new TextEncoder().encode(s));
      break;
    case 'tensor':
      a.t = tensorToProto(value as TensorInit);
      break;
  }
  return a;
}

const KIND_BY_CODE = new Map(Object.entries(ATTR_TYPE).map(([k, v]) => [v as number, k as AttrKind]));

function attrFromProto(a: any): [AttrKind, AttrValue] {
  const kind = KIND_BY_CODE.get(a.type);
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  switch (kind) {
    case 'int':
      return [kind, num(a.i)];
    case 'float':
      return [kind, a.f];
    case 'string':
      return [kind, dec(a.s)];
    case 'ints':
      return [kind, (a.ints ?? []).map(num)];
    case 'floats':
      return [kind, [...(a.floats ?? [])]];
    case 'strings':
      return [kind, (a.strings ?? []).map(dec)];
    case 'tensor':
      return [kind, tensorFromProto(a.t)];
    default:
      throw new Error(`attribute '${a.name}' has unsupported type ${a.type}`);
  }
}

function nodeToProto(n: NodeDef): any {
  const kinds = { ...attrKinds(n.op), ...n.attrKinds };
  const attribute = Object.entries(n.attrs).map(([k, v]) => {
    const kind = kinds[k];
    if (!kind) throw new Error(`node '${n.name}' (${n.op}): unknown attribute '${k}'`);
    return attrToProto(k, kind, v);
  });
  return { name: n.name, opType: n.op, input: n.inputs, output: n.outputs, attribute, domain: n.domain ?? '' };
}

function nodeFromProto(p: any, index: number): NodeDef {
  const attrs: Record<string, AttrValue> = {};
  const kinds: Record<string, AttrKind> = {};
  for (const a of p.attribute ?? []) [kinds[a.name], attrs[a.name]] = attrFromProto(a);
  const node: NodeDef = {
    name: p.name || `${p.opType}_${index}`,
    op: p.opType,
    inputs: [...(p.input ?? [])],
    outputs: [...(p.output ?? [])],
    attrs,
    attrKinds: kinds,
  };
  if (p.domain) node.domain = p.domain;
  return node;
}

/** ONNX's opset, and version 1 of every other domain the nodes use (ONNX Runtime's com.microsoft ops are all version 1). */
function opsetImports(model: ModelIR): { domain: string; version: number }[] {
  const domains = new Set(model.graph.nodes.flatMap((n) => (n.domain && n.domain !== 'ai.onnx' ? [n.domain] : [])));
  return [{ domain: '', version: model.opset }, ...[...domains].map((domain) => ({ domain, version: 1 }))];
}

/** Encode a model as ONNX ModelProto bytes. */
export function modelToBytes(model: ModelIR): Uint8Array {
  const g = model.graph;
  const msg = {
    irVersion: model.irVersion,
    producerName: model.producer,
    opsetImport: opsetImports(model),
    metadataProps: Object.entries(model.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      node: g.nodes.map(nodeToProto),
      initializer: g.initializers.map(tensorToProto),
      input: g.inputs.map(valueInfoToProto),
      output: g.outputs.map(valueInfoToProto),
      valueInfo: g.valueInfo.map(valueInfoToProto),
    },
  };
  return ModelProto.encode(ModelProto.fromObject(msg)).finish();
}

/** Decode ONNX ModelProto bytes. External data stays external (location/offset/length). */
export function modelFromBytes(bytes: Uint8Array): ModelIR {
  const m: any = ModelProto.decode(bytes);
  const g = m.graph;
  if (!g) throw new Error('ONNX model has no graph');
  const opset = (m.opsetImport ?? []).find((o: any) => !o.domain || o.domain === 'ai.onnx');
  const graph: GraphIR = {
    name: g.name ?? '',
    nodes: (g.node ?? []).map(nodeFromProto),
    initializers: (g.initializer ?? []).map(tensorFromProto),
    inputs: (g.input ?? []).map(valueInfoFromProto),
    outputs: (g.output ?? []).map(valueInfoFromProto),
    valueInfo: (g.valueInfo ?? []).map(valueInfoFromProto),
  };
  return {
    graph,
    opset: opset ? num(opset.version) : 0,
    irVersion: num(m.irVersion ?? 0),
    producer: m.producerName ?? '',
    metadata: Object.fromEntries((m.metadataProps ?? []).map((e: any) => [e.key, e.value])),
  };
}

/** Element types codistill graphs use, with their ONNX TensorProto codes and JS storage. */
export type DType = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
  bfloat16: 16,
};

const BY_CODE = new Map(Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as DType]));

export function dtypeFromOnnx(code: number): DType {
  const d = BY_CODE.get(code);
  if (!d) throw new Error(`unsupported ONNX element type ${code}`);
  return d;
}

export const BYTES_PER_ELEMENT: Record<DType, number> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  float64: 8,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

/** JS storage per dtype; float16/bfloat16 are kept as raw 16-bit patterns. */
export type TypedArray =
  | Float32Array
  | Float64Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array
  | Uint16Array;

export function isFloat(d: DType): boolean {
  return d === 'float32' || isHalf(d) || d === 'float64';
}

/** Whether `d` is a 16-bit float (float16, bfloat16): stored as bit patterns, computed in float32 where precision matters. */
export function isHalf(d: DType): d is 'float16' | 'bfloat16' {
  return d === 'float16' || d === 'bfloat16';
}

/**
 * The dtype sums of `d` values are accumulated in: float32 for 16-bit types. The scatters that add
 * (Gather's and GatherElements' gradients) run in it: WebGPU's ScatterND adds only 32-bit types
 * (its kernel fails when it runs, which placement cannot see), CUDA's adds float16 with float16
 * atomics (a rounding per addition, in no fixed order) and bfloat16 not at all.
 */
export const accumulationDtype = (d: DType): DType => (isHalf(d) ? 'float32' : d);

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'int8':
      return new Int8Array(size);
    case 'uint8':
    case 'bool':
      return new Uint8Array(size);
    case 'float16':
    case 'bfloat16':
      return new Uint16Array(size);
  }
}

/** View raw little-endian bytes as the dtype's typed array (copies when unaligned). */
export function fromBytes(dtype: DType, bytes: Uint8Array): TypedArray {
  const n = bytes.byteLength / BYTES_PER_ELEMENT[dtype];
  const aligned = bytes.byteOffset % BYTES_PER_ELEMENT[dtype] === 0 ? bytes : bytes.slice();
  const out = allocate(dtype, 0).constructor as new (b: ArrayBufferLike, o: number, n: number) => TypedArray;
  return new out(aligned.buffer, aligned.byteOffset, n);
}

export function toBytes(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

// float16 <-> float32 (IEEE 754 half precision, round to nearest even).
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float32ToFloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >>> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

export function float16BitsToFloat32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

// bfloat16 is the top half of a float32 (round to nearest even on the way down).
export function float32ToBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40; // keep NaN a NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bfloat16BitsToFloat32(b: number): number {
  u32[0] = b << 16;
  return f32[0];
}

/** Convert 16-bit float patterns to float32 values. */
export function halfToFloat32(dtype: 'float16' | 'bfloat16', bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  if (dtype === 'bfloat16') {
    new Uint32Array(out.buffer).set(bits);
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < words.length; i++) words[i] <<= 16;
  } else {
    for (let i = 0; i < bits.length; i++) out[i] = float16BitsToFloat32(bits[i]);
  }
  return out;
}

/** Convert float32 values to 16-bit float patterns. */
export function float32ToHalf(dtype: 'float16' | 'bfloat16', values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  const conv = dtype === 'bfloat16' ? float32ToBfloat16Bits : float32ToFloat16Bits;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]);
  return out;
}

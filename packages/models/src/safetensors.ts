import fs from 'node:fs';
import { BYTES_PER_ELEMENT, fromBytes, type DType, type HostTensor } from '@codistill/graph';

/** One tensor's place in a safetensors file: byte offset from the start of the file. */
export interface TensorEntry {
  name: string;
  file: string;
  dtype: DType;
  shape: number[];
  offset: number;
  length: number;
}

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

const DTYPES: Record<string, DType> = {
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

// Real headers are a few hundred KiB at most; anything larger is a corrupt or foreign file.
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function readExactly(fd: number, length: number, position: number, file: string): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`${file}: unexpected end of file at byte ${position + done}`);
    done += n;
  }
  return buf;
}

/**
 * Read only the header of a safetensors file: an 8-byte little-endian length, then that many
 * bytes of JSON mapping names to dtype, shape and [begin, end) offsets after the header.
 */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const n = Number(readExactly(fd, 8, 0, file).readBigUInt64LE(0));
    if (n > MAX_HEADER_BYTES || 8 + n > size) throw new Error(`${file}: header length ${n} does not fit a ${size}-byte file`);
    const json = JSON.parse(readExactly(fd, n, 8, file).toString('utf8')) as Record<string, unknown>;
    const tensors = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(json)) {
      if (name === '__metadata__') {
        metadata = raw as Record<string, string>;
        continue;
      }
      const t = raw as { dtype: string; shape: number[]; data_offsets: [number, number] };
      const dtype = DTYPES[t.dtype];
      if (!dtype) throw new Error(`${file}: tensor '${name}' has dtype ${t.dtype}, which codistill does not read`);
      const [begin, end] = t.data_offsets;
      const count = t.shape.reduce((a, b) => a * b, 1);
      if (end - begin !== count * BYTES_PER_ELEMENT[dtype] || 8 + n + end > size) {
        throw new Error(`${file}: tensor '${name}' data_offsets [${begin}, ${end}] disagree with shape [${t.shape}] ${t.dtype}`);
      }
      tensors.set(name, { name, file, dtype, shape: t.shape, offset: 8 + n + begin, length: end - begin });
    }
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

/** Read one tensor's bytes (for small tensors: references, adapters; never a whole checkpoint). */
export function readTensor(entry: TensorEntry): HostTensor {
  const fd = fs.openSync(entry.file, 'r');
  try {
    const bytes = readExactly(fd, entry.length, entry.offset, entry.file);
    const data = fromBytes(entry.dtype, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { dtype: entry.dtype, dims: [...entry.shape], data };
  } finally {
    fs.closeSync(fd);
  }
}

/** All tensors of a small safetensors file by name. */
export function loadSafetensors(file: string): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  for (const [name, e] of readSafetensorsHeader(file).tensors) out[name] = readTensor(e);
  return out;
}

const CODES = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v, k])) as Record<DType, string>;

/** Write tensors as a safetensors file (streamed tensor by tensor; used for caches and benches). */
export function writeSafetensors(file: string, tensors: Record<string, HostTensor>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: CODES[t.dtype], shape: t.dims, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad so tensor data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, len);
    fs.writeSync(fd, json);
    for (const t of Object.values(tensors)) fs.writeSync(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  } finally {
    fs.closeSync(fd);
  }
}

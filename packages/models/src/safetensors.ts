import fs from 'node:fs';
import { BYTES_PER_ELEMENT, fromBytes, type DType, type HostTensor, type TypedArray } from '@codistill/graph';
import { readExactly, writeFileDurable } from '@codistill/util';

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

/**
 * Read only the header of a safetensors file: an 8-byte little-endian length, then that many
 * bytes of JSON mapping names to dtype, shape and [begin, end) offsets after the header. The header
 * must describe the file exactly (as the reference reader demands): a file cut short by a crash or a
 * full disk is reported as truncated, not as a tensor of the wrong shape.
 */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size < 8) throw new Error(`${file}: truncated: ${size} bytes, not even the header length (cut short by a crash or a full disk?)`);
    const n = Number(readExactly(fd, 8, 0, file).readBigUInt64LE(0));
    if (n > MAX_HEADER_BYTES || 8 + n > size) throw new Error(`${file}: header length ${n} does not fit a ${size}-byte file (truncated, or not safetensors)`);
    const json = parseHeader(readExactly(fd, n, 8, file), file);
    const tensors = new Map<string, TensorEntry>();
    let metadata: Record<string, string> = {};
    let dataEnd = 0;
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
      if (end - begin !== count * BYTES_PER_ELEMENT[dtype]) {
        throw new Error(`${file}: tensor '${name}' data_offsets [${begin}, ${end}] disagree with shape [${t.shape}] ${t.dtype}`);
      }
      dataEnd = Math.max(dataEnd, end);
      tensors.set(name, { name, file, dtype, shape: t.shape, offset: 8 + n + begin, length: end - begin });
    }
    const described = 8 + n + dataEnd;
    if (described > size) throw new Error(`${file}: truncated: the header describes ${described} bytes, the file has ${size} (cut short by a crash or a full disk?)`);
    if (described < size) throw new Error(`${file}: ${size - described} bytes after the last tensor (the header describes ${described} of ${size})`);
    return { tensors, metadata };
  } finally {
    fs.closeSync(fd);
  }
}

function parseHeader(bytes: Buffer, file: string): Record<string, unknown> {
  try {
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`${file}: header is not valid JSON (${(error as Error).message})`);
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

/** A tensor whose bytes are made while the file is written, so a model larger than memory can be. */
export interface StreamedTensor {
  dtype: DType;
  dims: number[];
  chunks(): Iterable<TypedArray>;
}

const CODES = Object.fromEntries(Object.entries(DTYPES).map(([k, v]) => [v, k])) as Record<DType, string>;

/**
 * Write tensors (in memory or streamed) as a safetensors file, all or nothing: the bytes go to a temp file whose header is
 * read back against its size before it replaces `file`, so a full disk fails loudly and leaves the
 * old file (a truncated cache or checkpoint would block every later run).
 */
export function writeSafetensors(file: string, tensors: Record<string, HostTensor | StreamedTensor>, metadata: Record<string, string> = {}): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = t.dims.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[t.dtype];
    header[name] = { dtype: CODES[t.dtype], shape: t.dims, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad so tensor data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const chunks = function* () {
    yield len;
    yield json;
    for (const t of Object.values(tensors)) for (const chunk of 'data' in t ? [t.data] : t.chunks()) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  };
  writeFileDurable(file, chunks(), { verify: (temp) => void readSafetensorsHeader(temp) });
}

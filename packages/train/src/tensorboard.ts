// TensorBoard event files, written without TensorFlow: TFRecord framing (length, masked CRC32C,
// payload, masked CRC32C) around `Event` protocol buffers, the subset of tensorflow/core/util/
// event.proto that scalars need. TensorBoard reads them, and so do `wandb sync` and transformers'
// own logs' readers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureDir } from '@codistill/util';

const CRC32C_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** CRC-32C (Castagnoli), as TFRecord frames use it. */
export function crc32c(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC32C_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotated right by 15 bits plus a constant. */
function maskedCrc(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

// Protocol buffer wire format: a field's key is (number << 3) | wire type.
const varint = (v: number | bigint): number[] => {
  const out: number[] = [];
  let x = BigInt(v);
  do {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    out.push(x > 0n ? b | 0x80 : b);
  } while (x > 0n);
  return out;
};
const key = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, bytes: Uint8Array | number[]) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const fixed = (field: number, wire: 1 | 5, write: (view: DataView) => void) => {
  const buf = new DataView(new ArrayBuffer(wire === 1 ? 8 : 4));
  write(buf);
  return [...key(field, wire), ...new Uint8Array(buf.buffer)];
};

/** An Event: wall_time (1, double), step (2, int64), then file_version (3) or summary (5). */
function event(wallTime: number, step: number, body: number[]): Uint8Array {
  return Uint8Array.from([...fixed(1, 1, (v) => v.setFloat64(0, wallTime, true)), ...key(2, 0), ...varint(step), ...body]);
}

/** Summary { value { tag (1), simple_value (2, float) } ... } as Event field 5. */
function scalars(values: Record<string, number>): number[] {
  const entries = Object.entries(values).map(([tag, v]) => bytesField(1, [...bytesField(1, Buffer.from(tag, 'utf8')), ...fixed(2, 5, (d) => d.setFloat32(0, v, true))]));
  return bytesField(5, entries.flat());
}

function record(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const crc = (b: Uint8Array) => {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(maskedCrc(b));
    return out;
  };
  return Buffer.concat([len, crc(len), data, crc(data)]);
}

/**
 * Appends scalars to a new event file in `dir` (named as TensorFlow names them, so TensorBoard
 * pointed at `dir` or a parent finds it). Each call is one write: a crash loses at most the last.
 */
export class TensorBoardWriter {
  readonly file: string;

  constructor(dir: string) {
    ensureDir(dir);
    const now = Date.now() / 1000;
    this.file = path.join(dir, `events.out.tfevents.${Math.floor(now)}.${os.hostname()}.${process.pid}.0`);
    fs.writeFileSync(this.file, record(event(now, 0, bytesField(3, Buffer.from('brain.Event:2')))));
  }

  /** Scalars by tag (e.g. `train/loss`) at `step`; non-finite values are skipped. */
  scalars(step: number, values: Record<string, number | undefined>): void {
    const finite = Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => Number.isFinite(e[1])));
    if (Object.keys(finite).length) fs.appendFileSync(this.file, record(event(Date.now() / 1000, step, scalars(finite))));
  }
}

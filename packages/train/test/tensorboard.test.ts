// Event files as TensorBoard reads them: TFRecord frames with valid masked CRC32C, Event protos
// with the scalars' tags, steps and values. The reader here follows the TFRecord and protobuf
// specs independently of the writer.
import fs from 'node:fs';
import path from 'node:path';
import { crc32c, TensorBoardWriter } from '../src/tensorboard.js';
import { train } from '../src/index.js';
import { modelsFixture, tmp, writeData } from './helpers.js';

/** Each record's payload, checking both CRCs. */
function records(file: string): Buffer[] {
  const buf = fs.readFileSync(file);
  const masked = (b: Buffer) => ((((crc32c(b) >>> 15) | (crc32c(b) << 17)) >>> 0) + 0xa282ead8) >>> 0;
  const out: Buffer[] = [];
  for (let at = 0; at < buf.length; ) {
    const lenBytes = buf.subarray(at, at + 8);
    const len = Number(lenBytes.readBigUInt64LE());
    expect(buf.readUInt32LE(at + 8)).toBe(masked(lenBytes));
    const data = buf.subarray(at + 12, at + 12 + len);
    expect(buf.readUInt32LE(at + 12 + len)).toBe(masked(data));
    out.push(data);
    at += 16 + len;
  }
  return out;
}

/** Protobuf fields of a message: [field number, value] with varints as numbers and length-delimited as buffers. */
function fields(msg: Buffer): [number, number | Buffer][] {
  const out: [number, number | Buffer][] = [];
  let at = 0;
  const varint = () => {
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const b = msg[at++];
      v += (b & 0x7f) * 2 ** shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (at < msg.length) {
    const key = varint();
    const [field, wire] = [key >> 3, key & 7];
    if (wire === 0) {
      out.push([field, varint()]);
    } else if (wire === 1 || wire === 5) {
      out.push([field, wire === 1 ? msg.readDoubleLE(at) : msg.readFloatLE(at)]);
      at += wire === 1 ? 8 : 4;
    } else {
      const len = varint();
      out.push([field, msg.subarray(at, at + len)]);
      at += len;
    }
  }
  return out;
}

/** step -> tag -> value, as TensorBoard's EventAccumulator would list the scalars. */
function readScalars(file: string): Map<number, Record<string, number>> {
  const [header, ...rest] = records(file);
  expect(fields(header).find(([f]) => f === 3)![1].toString()).toBe('brain.Event:2');
  const out = new Map<number, Record<string, number>>();
  for (const r of rest) {
    const f = fields(r);
    const step = f.find(([n]) => n === 2)![1] as number;
    const summary = f.find(([n]) => n === 5)![1] as Buffer;
    for (const [, value] of fields(summary)) {
      const v = fields(value as Buffer);
      out.set(step, { ...out.get(step), [(v.find(([n]) => n === 1)![1] as Buffer).toString()]: v.find(([n]) => n === 2)![1] as number });
    }
  }
  return out;
}

test('CRC-32C matches its check value', () => {
  expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
});

test('scalars round-trip through the event file; non-finite values are left out', () => {
  const w = new TensorBoardWriter(tmp());
  expect(path.basename(w.file)).toMatch(/^events\.out\.tfevents\.\d+\./);
  w.scalars(1, { 'train/loss': 2.5, 'train/grad_norm': NaN });
  w.scalars(300, { 'train/loss': 0.125, 'eval/loss': undefined });
  expect(readScalars(w.file)).toEqual(new Map([[1, { 'train/loss': 2.5 }], [300, { 'train/loss': 0.125 }]]));
});

test('a training run logs loss, learning rate, grad norm, fractional epoch and eval loss with the tags transformers uses', async () => {
  const out = tmp();
  await train({ model_name_or_path: modelsFixture('tiny-llama'), train_file: writeData(out, 6), output_dir: out, max_steps: 2, per_device_train_batch_size: 2, threads: 1, val_fraction: 0.3, eval_steps: 1, lora: { r: 4, target_modules: ['q_proj'] } });
  const [file] = fs.readdirSync(path.join(out, 'runs'));
  const scalars = readScalars(path.join(out, 'runs', file));
  expect([...scalars.keys()]).toEqual([1, 2]);
  expect(Object.keys(scalars.get(2)!).sort()).toEqual(['eval/loss', 'eval/token_loss', 'train/alpha', 'train/beta', 'train/epoch', 'train/grad_norm', 'train/learning_rate', 'train/loss', 'train/token_loss']);
  expect(scalars.get(1)!['train/epoch']).toBeGreaterThan(0);
  expect(scalars.get(1)!['train/epoch']).toBeLessThan(1);
});

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostTensor, type HostTensor, type Runner } from '@codistill/graph';

export const fixture = (...parts: string[]): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', ...parts);

/** max |a - b| / max |b|: one number per tensor, robust to near-zero entries. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return err / scale;
}

export const ones = (dims: number[]): HostTensor => hostTensor('int64', dims, new Array(dims[0] * dims[1]).fill(1));

/** Rows [row] of an int64 [B, T] tensor as numbers. */
export const row = (t: HostTensor, r: number): number[] => {
  const T = t.dims[1];
  return Array.from((t.data as BigInt64Array).subarray(r * T, (r + 1) * T), Number);
};

/** Outputs of one run. */
export const run = async (runner: Runner, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> => (await runner.run(feeds)).outputs;

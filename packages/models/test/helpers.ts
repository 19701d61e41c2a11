import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostTensor, type HostTensor, type Runner } from '@codistill/graph';

export const fixture = (...parts: string[]): string => path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', ...parts);

export { maxRelativeError as relativeError } from '@codistill/graph';

export const ones = (dims: number[]): HostTensor => hostTensor('int64', dims, new Array(dims[0] * dims[1]).fill(1));

/** Rows [row] of an int64 [B, T] tensor as numbers. */
export const row = (t: HostTensor, r: number): number[] => {
  const T = t.dims[1];
  return Array.from((t.data as BigInt64Array).subarray(r * T, (r + 1) * T), Number);
};

/** Outputs of one run. */
export const run = async (runner: Runner, feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>> => (await runner.run(feeds)).outputs;

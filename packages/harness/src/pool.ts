import os from 'node:os';

/** Default pool size: one sandbox per core; the sandboxes are CPU-bound Python processes. */
export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}

/**
 * Runs `work` over `items` with at most `workers` in flight. Once `signal` aborts, no new item
 * starts; the calls in flight finish, then it throws the abort reason.
 */
export async function mapPool<T, R>(items: readonly T[], workers: number, work: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  });
  await Promise.all(lanes);
  signal?.throwIfAborted();
  return results;
}

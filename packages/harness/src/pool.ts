import os from 'node:os';

/** Default pool size: one sandbox per core; the sandboxes are CPU-bound Python processes. */
export function defaultWorkers(): number {
  return Math.max(1, os.availableParallelism());
}

/**
 * Runs `work` over `items` with at most `workers` in flight. Each call gets a slot number in
 * [0, workers) that no concurrent call shares (the sandbox uses it to pick a private uid).
 * Once `signal` aborts, no new item starts; the calls in flight finish, then it throws the abort reason.
 */
export async function mapPool<T, R>(items: readonly T[], workers: number, work: (item: T, slot: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, async (_, slot) => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      results[index] = await work(items[index], slot);
    }
  });
  await Promise.all(lanes);
  signal?.throwIfAborted();
  return results;
}

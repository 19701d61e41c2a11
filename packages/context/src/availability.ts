import type { Timing } from './timing.js';

/**
 * The run's budget for having no working teacher. The clock starts at the first failed request after
 * the last answer and stops at the next answer; when it reaches `budgetMs`, `onExpired` is called
 * once. A dead endpoint fails probes only every breaker cool-down and a 429 waits its Retry-After, so
 * counting attempts would take hours to notice; the clock notices after `budgetMs`.
 */
export class AvailabilityWatch {
  private failingSince: number | null = null;
  private cancel: AbortController | null = null;

  constructor(
    private readonly budgetMs: number,
    private readonly timing: Timing,
    private readonly onExpired: () => void,
  ) {}

  /** An answer arrived (valid or not): some endpoint works. */
  answered(): void {
    this.failingSince = null;
    this.stop();
  }

  /** A request failed for lack of a working server (not a client error). */
  failed(): void {
    if (this.failingSince !== null) return;
    const since = (this.failingSince = this.timing.now());
    const cancel = (this.cancel = new AbortController());
    this.expireAfter(since, cancel.signal).catch(() => {}); // cancelled by answered() or stop()
  }

  /** Clears the pending timer, so a finished run leaves nothing keeping the process alive. */
  stop(): void {
    this.cancel?.abort();
    this.cancel = null;
  }

  private async expireAfter(since: number, signal: AbortSignal): Promise<void> {
    // Re-checks the clock after each sleep, so an injected Timing with shortened sleeps still waits the whole budget.
    for (let left = this.budgetMs; left > 0; left = since + this.budgetMs - this.timing.now()) await this.timing.sleep(left, signal);
    this.onExpired();
  }
}

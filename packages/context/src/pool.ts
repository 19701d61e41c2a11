import { CircuitBreaker } from './breaker.js';
import { abortError, type Timing } from './timing.js';

export interface PoolEndpoint<Client> {
  name: string;
  client: Client;
  maxConcurrency: number;
}

interface Slot<Client> extends PoolEndpoint<Client> {
  inFlight: number;
  started: number;
  breaker: CircuitBreaker;
  lastError?: string;
}

/** An endpoint as progress lines and error messages show it. */
export interface EndpointState {
  name: string;
  state: 'closed' | 'open' | 'half-open';
  inFlight: number;
  started: number;
  /** The latest failed request's error, kept after recovery so a summary can say what went wrong. */
  lastError?: string;
}

export interface Lease<Client> {
  endpoint: PoolEndpoint<Client>;
  /**
   * This request is the one an open circuit lets through after its cool-down: if it fails, that says
   * the endpoint is still down, not that the problem is at fault.
   */
  probe: boolean;
  /** `error` (the failure's message) is kept as the endpoint's lastError. */
  release(outcome: 'success' | 'failure' | 'neutral', error?: string): void;
}

/**
 * Hands out request slots across endpoints: bounded concurrency per endpoint, least-loaded first
 * (in-flight / capacity, then fewest requests so far), skipping endpoints whose circuit is open.
 */
export class EndpointPool<Client> {
  private readonly slots: Slot<Client>[];
  private wake: () => void = () => {};
  private changed: Promise<void> = this.nextChange();

  constructor(
    endpoints: PoolEndpoint<Client>[],
    breaker: { failureThreshold: number; cooldownMs: number },
    private readonly timing: Timing,
  ) {
    this.slots = endpoints.map((e) => ({ ...e, inFlight: 0, started: 0, breaker: new CircuitBreaker(breaker.failureThreshold, breaker.cooldownMs) }));
  }

  get capacity(): number {
    return this.slots.reduce((sum, s) => sum + s.maxConcurrency, 0);
  }

  states(): EndpointState[] {
    return this.slots.map((s) => ({ name: s.name, state: s.breaker.state, inFlight: s.inFlight, started: s.started, ...(s.lastError && { lastError: s.lastError }) }));
  }

  async acquire(signal?: AbortSignal): Promise<Lease<Client>> {
    let onAbort: (() => void) | undefined;
    const aborted = signal
      ? new Promise<never>((_, reject) => {
          onAbort = () => reject(abortError(signal));
          signal.addEventListener('abort', onAbort, { once: true });
        })
      : undefined;
    aborted?.catch(() => {});
    try {
      for (;;) {
        if (signal?.aborted) throw abortError(signal);
        const slot = this.pick();
        if (slot) return this.lease(slot);
        await this.waitForChange(aborted);
      }
    } finally {
      // One listener per request would pile up on a long run's signal.
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Until a release, or until the earliest open circuit allows a probe. */
  private async waitForChange(aborted: Promise<never> | undefined): Promise<void> {
    const reopen = Math.min(...this.slots.map((s) => s.breaker.reopensAt() ?? Infinity));
    const waits: Promise<void>[] = [this.changed];
    if (aborted) waits.push(aborted);
    // The cool-down timer is cancelled once the wait is over: left running, a dead endpoint's 30 s
    // cool-down would keep the process alive after the run has finished.
    const cancel = new AbortController();
    if (Number.isFinite(reopen)) waits.push(this.timing.sleep(Math.max(0, reopen - this.timing.now()) + 1, cancel.signal).catch(() => {}));
    try {
      await Promise.race(waits);
    } finally {
      cancel.abort();
    }
  }

  private pick(): Slot<Client> | undefined {
    const now = this.timing.now();
    const free = this.slots
      .filter((s) => s.inFlight < s.maxConcurrency)
      .sort((a, b) => a.inFlight / a.maxConcurrency - b.inFlight / b.maxConcurrency || a.started - b.started);
    return free.find((s) => s.breaker.tryAcquire(now));
  }

  private lease(slot: Slot<Client>): Lease<Client> {
    slot.inFlight++;
    slot.started++;
    let released = false;
    return {
      endpoint: slot,
      probe: slot.breaker.state === 'half-open',
      release: (outcome, error) => {
        if (released) return;
        released = true;
        slot.inFlight--;
        if (error !== undefined) slot.lastError = error;
        if (outcome === 'success') slot.breaker.onSuccess();
        else if (outcome === 'failure') slot.breaker.onFailure(this.timing.now());
        else slot.breaker.onNeutral();
        const wake = this.wake;
        this.changed = this.nextChange();
        wake();
      },
    };
  }

  private nextChange(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }
}

/**
 * Per-endpoint circuit breaker: after `failureThreshold` consecutive failures the endpoint is skipped
 * for `cooldownMs`, then a single probe request decides whether it is back (closed) or still dead.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;

  constructor(
    private readonly failureThreshold: number,
    private readonly cooldownMs: number,
  ) {}

  get state(): 'closed' | 'open' | 'half-open' {
    return this.openedAt === null ? 'closed' : this.probing ? 'half-open' : 'open';
  }

  /** May a request start now? Claims the probe slot when the cool-down is over. */
  tryAcquire(now: number): boolean {
    if (this.openedAt === null) return true;
    if (this.probing || now - this.openedAt < this.cooldownMs) return false;
    this.probing = true;
    return true;
  }

  /** When an open circuit will let a probe through (null when closed or probing). */
  reopensAt(): number | null {
    return this.openedAt === null || this.probing ? null : this.openedAt + this.cooldownMs;
  }

  onSuccess(): void {
    this.failures = 0;
    this.openedAt = null;
    this.probing = false;
  }

  onFailure(now: number): void {
    this.failures++;
    if (this.probing || this.failures >= this.failureThreshold) this.openedAt = now;
    this.probing = false;
  }

  /** A request that ended without telling us about the endpoint's health (aborted, 4xx). */
  onNeutral(): void {
    this.probing = false;
  }
}

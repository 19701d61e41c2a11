import type { TeacherConfig } from './config.js';

/** Token usage and cost so far, as reported by the servers. */
export interface UsageTotals {
  requests: number;
  failedRequests: number;
  promptTokens: number;
  completionTokens: number;
  /** Successful responses that carried no usage (not counted in tokens or cost). */
  unreportedUsage: number;
  costUsd: number;
}

export class UsageMeter {
  readonly totals: UsageTotals = { requests: 0, failedRequests: 0, promptTokens: 0, completionTokens: 0, unreportedUsage: 0, costUsd: 0 };

  constructor(private readonly pricing: TeacherConfig['pricing']) {}

  recordSuccess(promptTokens: number | undefined, completionTokens: number | undefined): void {
    this.totals.requests++;
    if (promptTokens === undefined || completionTokens === undefined) {
      this.totals.unreportedUsage++;
      return;
    }
    this.totals.promptTokens += promptTokens;
    this.totals.completionTokens += completionTokens;
    this.totals.costUsd = (this.totals.promptTokens * this.pricing.inputPerMillion + this.totals.completionTokens * this.pricing.outputPerMillion) / 1e6;
  }

  recordFailure(): void {
    this.totals.requests++;
    this.totals.failedRequests++;
  }
}

import type { TeacherConfig } from './config.js';

/** Requests and tokens spent: per problem (stored with its row, so a killed run's spending survives) or summed. */
export interface Usage {
  requests: number;
  failedRequests: number;
  /** Tokens as the servers reported them, plus `estimatedTokens`. */
  promptTokens: number;
  completionTokens: number;
  /** Successful responses that carried no usage (not counted in tokens or cost). */
  unreportedUsage: number;
  /**
   * Requests we cut off (our deadline, an interrupt, the unavailable stop) before the server reported
   * usage: the server still read the prompt and may have generated, so their tokens are estimated.
   */
  estimatedRequests: number;
  /** The part of promptTokens + completionTokens that is estimated (see estimateTokens). */
  estimatedTokens: number;
}

export interface UsageTotals extends Usage {
  costUsd: number;
}

export function emptyUsage(): Usage {
  return { requests: 0, failedRequests: 0, promptTokens: 0, completionTokens: 0, unreportedUsage: 0, estimatedRequests: 0, estimatedTokens: 0 };
}

const USAGE_KEYS = Object.keys(emptyUsage()) as Array<keyof Usage>;

/** Adds `from` into `into` field by field (fields missing from old rows count as 0). */
export function addUsage(into: Usage, from: Partial<Usage>): void {
  for (const key of USAGE_KEYS) into[key] += from[key] ?? 0;
}

export function costUsd(usage: Usage, pricing: TeacherConfig['pricing']): number {
  return (usage.promptTokens * pricing.inputPerMillion + usage.completionTokens * pricing.outputPerMillion) / 1e6;
}

/** The usual rule of thumb for English and code with BPE tokenizers: about four characters per token. */
export function estimateTokens(characters: number): number {
  return Math.ceil(characters / 4);
}

/** Counts every request into the problem's own usage and the run's totals at once. */
export class UsageMeter {
  readonly totals: UsageTotals = { ...emptyUsage(), costUsd: 0 };

  constructor(private readonly pricing: TeacherConfig['pricing']) {}

  /** A request that got an answer; tokens as the server reported them. */
  recordSuccess(job: Usage, promptTokens: number | undefined, completionTokens: number | undefined): void {
    if (promptTokens === undefined || completionTokens === undefined) this.add(job, { requests: 1, unreportedUsage: 1 });
    else this.add(job, { requests: 1, promptTokens, completionTokens });
  }

  /** A request that failed with nothing to bill (an HTTP error, a refused or broken connection). */
  recordFailure(job: Usage): void {
    this.add(job, { requests: 1, failedRequests: 1 });
  }

  /** A request we cut off: what the server reported so far, else an estimate. */
  recordCutOff(job: Usage, spent: { promptTokens: number; completionTokens: number; estimated: boolean }): void {
    const { promptTokens, completionTokens, estimated } = spent;
    const estimates = estimated ? { estimatedRequests: 1, estimatedTokens: promptTokens + completionTokens } : {};
    this.add(job, { requests: 1, failedRequests: 1, promptTokens, completionTokens, ...estimates });
  }

  private add(job: Usage, delta: Partial<Usage>): void {
    addUsage(job, delta);
    addUsage(this.totals, delta);
    this.totals.costUsd = costUsd(this.totals, this.pricing);
  }
}

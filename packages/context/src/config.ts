import { describeIssues } from '@codistill/util';
import { z } from 'zod';

/**
 * Default of `maxUnavailableMs`: rides out a server restart or a burst of rate limits, yet reports a
 * dead teacher within minutes instead of retrying it for hours.
 */
export const DEFAULT_MAX_UNAVAILABLE_MS = 300_000;

const endpointSchema = z.object({
  baseURL: z.url({ protocol: /^https?$/ }),
  /** Environment variable holding the API key; local servers (vLLM, Ollama) accept any key. */
  apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
  /** Requests in flight at once on this endpoint. */
  maxConcurrency: z.int().positive().default(4),
});

export const teacherConfigSchema = z.object({
  endpoints: z.array(endpointSchema).min(1),
  model: z.string().min(1),
  temperature: z.number().min(0).max(2).default(0.2),
  topP: z.number().gt(0).max(1).default(0.95),
  maxTokens: z.int().positive().default(1024),
  /** Whole-request deadline (headers and body), in milliseconds. */
  timeoutMs: z.int().positive().default(120_000),
  stream: z.boolean().default(false),
  retry: z
    .object({
      /** Transport retries per problem (429, 5xx, timeouts, cut connections, malformed bodies). */
      maxRetries: z.int().nonnegative().default(6),
      baseDelayMs: z.int().nonnegative().default(1000),
      maxDelayMs: z.int().nonnegative().default(60_000),
      /** Longest Retry-After honoured; a server asking for more is waited on for this long. */
      maxRetryAfterMs: z.int().nonnegative().default(120_000),
    })
    .prefault({}),
  breaker: z
    .object({
      /** Consecutive failures that open an endpoint's circuit. */
      failureThreshold: z.int().positive().default(5),
      /** How long an open circuit rejects requests before one probe is let through. */
      cooldownMs: z.int().nonnegative().default(30_000),
    })
    .prefault({}),
  /**
   * Once requests start failing, how long the run may go without a single answer (every endpoint down,
   * or answering only errors or 429s) before it stops with a TeacherUnavailableError.
   */
  maxUnavailableMs: z.int().positive().default(DEFAULT_MAX_UNAVAILABLE_MS),
  /** Extra attempts when the teacher's answer leaks code or is not valid structured output. */
  contentRetries: z.int().nonnegative().default(2),
  /** USD per million tokens, for cost accounting. */
  pricing: z.object({ inputPerMillion: z.number().nonnegative().default(0), outputPerMillion: z.number().nonnegative().default(0) }).prefault({}),
});

export type TeacherConfigInput = z.input<typeof teacherConfigSchema>;
export type TeacherConfig = z.output<typeof teacherConfigSchema>;
export type EndpointConfig = TeacherConfig['endpoints'][number];

/** Thrown for an invalid teacher configuration; the message names every bad field. */
export class ConfigError extends Error {}

export function parseTeacherConfig(input: unknown): TeacherConfig {
  const result = teacherConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(`invalid teacher config: ${describeIssues(result.error.issues)}`);
}

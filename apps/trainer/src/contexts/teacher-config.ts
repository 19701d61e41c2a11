import { parseTeacherConfig, type TeacherConfig } from '@codistill/context';
import type { z } from 'zod';
import type { TeacherSettings } from '../settings.js';

/**
 * The client config from the teacher settings (`codistill contexts` flags, the run config's
 * `teacher` section) and where the teacher is: one URL list sharing one concurrency, times in
 * seconds. Both build it here, so the command and the run's contexts stage cannot ask a teacher
 * differently. An invalid setting is an error naming its field (`endpoints.0.baseURL: Invalid URL`).
 */
export function teacherConfig(s: z.output<typeof TeacherSettings> & { urls: string[]; model: string }): TeacherConfig {
  return parseTeacherConfig({
    endpoints: s.urls.map((baseURL) => ({ baseURL, apiKeyEnv: s.api_key_env, maxConcurrency: s.concurrency })),
    model: s.model,
    stream: s.stream,
    timeoutMs: Math.round(s.timeout * 1000),
    maxUnavailableMs: Math.round(s.max_unavailable * 1000),
    temperature: s.temperature,
    retry: { maxRetries: s.retries },
  });
}

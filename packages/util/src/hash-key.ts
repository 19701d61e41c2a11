import { createHash } from 'node:crypto';

/** sha256 (hex) of the parts joined by NUL: a cache key, or a stable pseudo-random split of ids. */
export const hashKey = (...parts: string[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex');

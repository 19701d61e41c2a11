import os from 'node:os';
import path from 'node:path';

/** The user's cache folder, as XDG and Hugging Face's libraries find it: $XDG_CACHE_HOME, else ~/.cache. */
export const cacheHome = (): string => process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');

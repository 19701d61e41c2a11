import { readFileSync } from 'node:fs';

/** All ten languages, or those named on the command line (`pnpm bench java go`). */
export const LANGUAGES = process.argv.length > 2 ? process.argv.slice(2) : ['java', 'javascript', 'c_sharp', 'php', 'c', 'cpp', 'python', 'go', 'ruby', 'rust'];

export interface Pair {
  reference: string;
  hypothesis: string;
}

/** A language's golden pairs (test/fixtures), the benches' workload. */
export function readPairs(lang: string): Pair[] {
  const file = lang === 'python' ? 'golden-dev.jsonl' : `golden-dev-${lang}.jsonl`;
  return readFileSync(new URL(`../test/fixtures/${file}`, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Pair);
}

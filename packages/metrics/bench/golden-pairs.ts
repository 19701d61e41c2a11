import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** All ten languages, or those named on the command line (`pnpm bench java go`). */
export const LANGUAGES = process.argv.length > 2 ? process.argv.slice(2) : ['java', 'javascript', 'c_sharp', 'php', 'c', 'cpp', 'python', 'go', 'ruby', 'rust'];

/**
 * The languages this process should bench itself: with one language, that one; with several, the
 * script is run again for each in a process of its own (output passed through) and none is left.
 * In one process, languages benched later ran up to 2x slower than alone (python, 7th: 5,631
 * against 11,306 pairs/s; V8's feedback from the other languages' data-flow rules), while the
 * reference runs each language in a fresh interpreter.
 */
export function languagesOfThisProcess(): string[] {
  if (LANGUAGES.length === 1) return LANGUAGES;
  for (const lang of LANGUAGES) {
    const run = spawnSync(process.execPath, [...process.execArgv, process.argv[1], lang], { stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
  return [];
}

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

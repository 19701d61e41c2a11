import { SECTION_KEYS, type ContextSections } from './sections.js';

export type LeakKind = 'fenced-code' | 'solution-line' | 'code-statement' | 'verbatim-overlap';

export interface Leak {
  kind: LeakKind;
  detail: string;
}

export interface LeakOptions {
  /** Shared run of tokens with the solution that counts as copying (code tokens, not words). */
  overlapTokens?: number;
  /** Solution lines shorter than this (whitespace removed) are too generic to count, e.g. `else:`. */
  minLineChars?: number;
}

/**
 * Lines that only code looks like. Prose rarely starts with a lowercase Python keyword and ends in a
 * colon, or calls input()/print(); formulas such as "f(n) = f(n-1) + f(n-2)" deliberately pass.
 */
const CODE_LINE_PATTERNS: RegExp[] = [
  /^def\s+\w+\s*\(.*\)\s*(->.*)?:/,
  /^class\s+\w+\s*(\(.*\))?\s*:/,
  /^(import\s+[\w.]+(\s+as\s+\w+)?(\s*,\s*[\w.]+)*|from\s+[\w.]+\s+import\s+[\w*, ()]+)\s*$/,
  /^(for|while|if|elif|with)\s.*[()[\]=<>].*:\s*$/,
  /^(print|return)\s*\(?.*[()[\]].*$/,
  /^[\w.[\]]+(\s*,\s*[\w.[\]]+)*\s*(\+|-|\*|\/\/|%)?=\s*.*\b(input|print|map|sorted)\s*\(/,
  /^[\w.[\]]+\s*(\+|-|\*|\/\/|%)?=\s*.*\.\w+\(.*\)\s*$/,
];

const compact = (s: string) => s.replace(/\s+/g, '');
const codeTokens = (s: string) => s.match(/[A-Za-z_]\w*|\d+|[^\s\w]/g) ?? [];

/** Returns the first sign that a context reveals code, or null when it is clean. */
export function findLeak(sections: ContextSections, solution: string, options: LeakOptions = {}): Leak | null {
  const overlapTokens = options.overlapTokens ?? 12;
  const minLineChars = options.minLineChars ?? 12;
  const text = SECTION_KEYS.map((k) => sections[k]).join('\n');

  if (/```|~~~/.test(text)) return { kind: 'fenced-code', detail: 'the context contains a fenced code block' };

  // Inline code spans are checked like lines: `sorted()` is fine, `n = int(input())` is not.
  const candidates = [...text.split('\n'), ...[...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1])]
    .map((line) => line.trim().replace(/^([-*•]|\d+[.)])\s+/, ''))
    .filter((line) => line !== '');

  const solutionLines = new Map<string, string>();
  for (const line of solution.split('\n')) {
    const key = compact(line);
    if (key.length >= minLineChars && /[=()[\]:]/.test(key)) solutionLines.set(key, line.trim());
  }
  for (const line of candidates) {
    const key = compact(line.replace(/`/g, ''));
    for (const [solutionKey, original] of solutionLines) {
      if (key === solutionKey || (solutionKey.length >= 2 * minLineChars && key.includes(solutionKey))) {
        return { kind: 'solution-line', detail: `reproduces the solution line \`${original}\`` };
      }
    }
  }

  for (const line of candidates) {
    const unquoted = line.replace(/^`|`$/g, '');
    if (CODE_LINE_PATTERNS.some((pattern) => pattern.test(unquoted))) {
      return { kind: 'code-statement', detail: `contains a Python statement: \`${unquoted.slice(0, 80)}\`` };
    }
  }

  const solutionTokens = codeTokens(solution);
  const grams = new Set<string>();
  for (let i = 0; i + overlapTokens <= solutionTokens.length; i++) grams.add(solutionTokens.slice(i, i + overlapTokens).join(' '));
  const contextTokens = codeTokens(text.replace(/`/g, ''));
  for (let i = 0; i + overlapTokens <= contextTokens.length; i++) {
    const gram = contextTokens.slice(i, i + overlapTokens).join(' ');
    if (grams.has(gram)) return { kind: 'verbatim-overlap', detail: `shares ${overlapTokens}+ consecutive tokens with the solution: \`${gram}\`` };
  }
  return null;
}

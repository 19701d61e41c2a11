import { readFileSync } from 'node:fs';
import type { Parser } from 'web-tree-sitter';
import { CodeAnalyzer } from '../src/analysis.js';
import { loadLanguage } from '../src/index.js';
import { pyStrip } from '../src/python-text.js';
import { treeAddress } from '../src/tree-sitter-wasm.js';
const lang = process.argv[2];
const stage = process.argv[3];
const language = await loadLanguage(lang);
const analyzer = CodeAnalyzer.shared(language);
const file = lang === 'python' ? 'golden-dev.jsonl' : `golden-dev-${lang}.jsonl`;
const pairs = readFileSync(new URL(`../test/fixtures/${file}`, import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const cleaned = pairs.flatMap((p: any) => [p.reference, p.hypothesis]).map((t: string) => language.removeComments(pyStrip(t)));
const reader = (analyzer as any).reader;
const parser: Parser = reader.parser;
const parsed = cleaned.map((t: string) => parser.parse(t)!);
const until = performance.now() + 2000;
let passes = 0;
while (performance.now() < until) {
  if (stage === 'read') parsed.forEach((tree, i) => reader.read(treeAddress(tree), cleaned[i]));
  else cleaned.forEach((t: string) => parser.parse(t)!.delete());
  passes++;
}
const best: number[] = [];
for (let k = 0; k < 60; k++) {
  const c = process.cpuUsage();
  if (stage === 'read') parsed.forEach((tree, i) => reader.read(treeAddress(tree), cleaned[i]));
  else cleaned.forEach((t: string) => parser.parse(t)!.delete());
  const u = process.cpuUsage(c);
  best.push((u.user + u.system) / pairs.length);
}
best.sort((a, b) => a - b);
console.log(lang, stage, 'best', best[0].toFixed(1), 'p25', best[15].toFixed(1), 'median', best[30].toFixed(1), 'us/pair');

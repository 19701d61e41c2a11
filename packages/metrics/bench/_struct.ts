import { readFileSync } from 'node:fs';
import { CodeAnalyzer } from '../src/analysis.js';
import { calcCodeBleu, corpusDataflowMatch, corpusSyntaxMatch, loadLanguage } from '../src/index.js';
const mode = process.env.MODE ?? 'struct';
for (const lang of process.argv.slice(2)) {
  const language = await loadLanguage(lang);
  const analyzer = CodeAnalyzer.shared(language);
  const file = lang === 'python' ? 'golden-dev.jsonl' : `golden-dev-${lang}.jsonl`;
  const pairs = readFileSync(new URL(`../test/fixtures/${file}`, import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const until = performance.now() + Number(process.env.SECONDS ?? 5) * 1000;
  while (performance.now() < until) {
    for (const { reference, hypothesis } of pairs) {
      analyzer.clearCache();
      if (mode === 'calc') calcCodeBleu([reference], [hypothesis], lang);
      else {
        corpusSyntaxMatch([[reference]], [hypothesis], lang);
        corpusDataflowMatch([[reference]], [hypothesis], lang);
      }
    }
  }
}

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  approxTokenCount, assembleExamples, datasetStats, exampleSpans, loadTacoFiles, mulberry32,
  renderTests, selectTaco, tacoExampleId, type TacoProblem,
} from '../src/taco/index.js';

const SAMPLE = fileURLToPath(new URL('../samples/taco-sample.jsonl', import.meta.url));
let problems: TacoProblem[];
beforeAll(async () => {
  problems = (await loadTacoFiles([SAMPLE])).problems;
});

describe('selectTaco', () => {
  it('keeps first solutions within budget, then extra problems with a different solution', () => {
    const { pairs, report } = selectTaco(problems, { maxTokens: 2000, extra: 5, seed: 0 });
    expect(report.skipped.noSolutions).toBe(1);
    expect(report.kept).toBe(29);
    expect(report.extraChosen).toBe(5);
    expect(report.examples).toBe(34);
    const firsts = pairs.filter((p) => p.round === 'first');
    expect(firsts.every((p) => p.solutionIndex === 0)).toBe(true);
    const extras = pairs.filter((p) => p.round === 'extra');
    expect(extras.every((p) => p.solutionIndex > 0 && firsts.some((f) => f.problem === p.problem))).toBe(true);
    expect(new Set(extras.map((p) => p.problem)).size).toBe(5);
    expect(new Set(pairs.map((p) => p.id)).size).toBe(pairs.length);
    expect(pairs.every((p) => p.tokens <= 2000)).toBe(true);
  });

  it('drops problems over the token budget and counts them', () => {
    const { pairs, report } = selectTaco(problems, { maxTokens: 300, extra: 0 });
    expect(report.skipped.overBudget).toBeGreaterThan(0);
    expect(report.kept + report.skipped.overBudget + report.skipped.noSolutions + report.skipped.noTests).toBe(30);
    expect(pairs.every((p) => p.tokens <= 300)).toBe(true);
  });

  it('is deterministic for a seed and changes with it', () => {
    const ids = (seed: number) => selectTaco(problems, { extra: 10, seed }).pairs.map((p) => p.id);
    expect(ids(7)).toEqual(ids(7));
    expect(ids(7)).not.toEqual(ids(8));
  });

  it('takes every candidate when extra exceeds them', () => {
    const { report } = selectTaco(problems, { extra: 3000 });
    expect(report.extraChosen).toBe(report.extraCandidates);
    expect(report.extraCandidates).toBe(problems.filter((p) => p.solutions.length > 1).length);
  });

  it('uses the injected token counter', () => {
    const { report } = selectTaco(problems, { maxTokens: 10, countTokens: () => 1, extra: 0 });
    expect(report.kept).toBe(29);
  });
});

describe('example assembly', () => {
  it('joins contexts by id, drops examples without one, and lays out loss spans', () => {
    const { pairs } = selectTaco(problems, { extra: 2 });
    const withContext = new Set(pairs.slice(1).map((p) => p.id));
    const { examples, missingContext } = assembleExamples(pairs, {
      contextFor: (id) => (withContext.has(id) ? `Intent: solve ${id}` : undefined),
    });
    expect(missingContext).toEqual([pairs[0].id]);
    expect(examples).toHaveLength(pairs.length - 1);
    expect(Object.keys(examples[0])).toEqual(['id', 'prompt', 'context', 'code', 'tests']);
    const { text, spans } = exampleSpans(examples[0]);
    expect(spans.map((s) => [s.field, s.inLoss])).toEqual([['prompt', false], ['context', true], ['code', true], ['tests', true]]);
    for (const s of spans) expect(text.slice(s.start, s.end)).toBe(examples[0][s.field]);
  });

  it('reports statistics by difficulty and round', () => {
    const { pairs } = selectTaco(problems, { extra: 4 });
    const { examples } = assembleExamples(pairs);
    const stats = datasetStats(examples, pairs);
    expect(stats.examples).toBe(33);
    expect(stats.byRound).toEqual({ first: 29, extra: 4 });
    expect(Object.values(stats.byDifficulty).reduce((a, b) => a + b, 0)).toBe(33);
    expect(stats.tokens.total.max).toBeLessThanOrEqual(2000);
    expect(stats.tokens.context.max).toBe(0);
  });
});

describe('writeExamplesJsonl', () => {
  it('is all or nothing: a write the disk refuses keeps the old file and leaves no partial one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'taco-write-'));
    const out = join(dir, 'train.jsonl');
    writeFileSync(out, 'old\n');
    // RLIMIT_FSIZE of 64 KiB stands in for a full disk; the examples take 1 MiB.
    const script = `process.on('SIGXFSZ', () => {});
      const { writeExamplesJsonl } = await import(${JSON.stringify(fileURLToPath(new URL('../src/taco/assemble.ts', import.meta.url)))});
      const examples = Array.from({ length: 1024 }, (_, i) => ({ id: String(i), prompt: 'p', context: '', code: 'x'.repeat(1024), tests: '' }));
      try { await writeExamplesJsonl(${JSON.stringify(out)}, examples); console.log('wrote'); }
      catch (e) { console.log('refused: ' + e.message); }`;
    writeFileSync(join(dir, 'write.mts'), script);
    const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
    const run = spawnSync('bash', ['-c', `ulimit -f 64; exec ${tsx} ${join(dir, 'write.mts')}`], { encoding: 'utf8' });
    expect(run.stdout).toMatch(/refused: cannot write .*train\.jsonl: EFBIG/);
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect(readdirSync(dir).sort()).toEqual(['train.jsonl', 'write.mts']);
  });
});

describe('helpers', () => {
  it('renders call-based tests as asserts and stdin tests as comments', () => {
    const twoSum = problems.find((p) => p.tests?.fnName === 'twoSum')!;
    expect(renderTests(twoSum, { maxTests: 1 })).toBe('assert Solution().twoSum([2, 7, 11, 15], 9) == [0, 1]');
    const benches = problems.find((p) => p.name === 'Benches')!;
    expect(renderTests(benches, { maxTests: 1 })).toBe('# test 1\n# input:\n# 5\n# expected output:\n# 120');
    const vowels = problems.find((p) => p.tests?.fnName === 'get_count')!;
    expect(renderTests(vowels)).toContain('assert get_count("") == 0');
  });

  it('has stable ids, a reproducible PRNG and a plausible token estimate', () => {
    expect(tacoExampleId('q', 0)).toBe(tacoExampleId('q', 0));
    expect(tacoExampleId('q', 0)).not.toBe(tacoExampleId('q', 1));
    const a = mulberry32(42);
    const b = mulberry32(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(approxTokenCount('def f(x):\n    return x + 1')).toBeGreaterThan(8);
    expect(approxTokenCount('def f(x):\n    return x + 1')).toBeLessThan(20);
  });
});

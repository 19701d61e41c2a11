import { fileURLToPath } from 'node:url';
import { describeRejections, prepareTaco, TacoNoExamplesError, tacoRejections, type SelectionReport } from '../src/taco/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/taco/${name}`, import.meta.url));
const SAMPLE = fileURLToPath(new URL('../samples/taco-sample.jsonl', import.meta.url));
const HUB_SCHEMA = 'expected TACO rows as on the Hub (question, JSON-string solutions and input_output, difficulty, …)';

const report = (skipped: Partial<SelectionReport['skipped']>): SelectionReport => ({
  problems: 0, maxTokens: 2000, seed: 0, kept: 0,
  skipped: { noSolutions: 0, noTests: 0, overBudget: 0, ...skipped },
  extraRequested: 0, extraCandidates: 0, extraChosen: 0, examples: 0,
});

describe('prepareTaco with no examples', () => {
  it('throws naming the files and the commonest reasons with their counts', async () => {
    const examples = fixture('examples.jsonl');
    const noTests = fixture('no-input-output.parquet');
    const error = (await prepareTaco([noTests, examples]).catch((e: Error) => e)) as TacoNoExamplesError;
    expect(error).toBeInstanceOf(TacoNoExamplesError);
    expect(error.message).toBe(
      `no TACO examples from ${noTests}, ${examples}: none of the 6 rows was kept: ` +
        '4 rows: input_output: missing or empty (no tests); ' +
        '2 rows: question: missing; this is a training example {id, prompt, context, code, tests} as written by `codistill data taco`, not a TACO row ' +
        `(first: ${examples} row 1); ${HUB_SCHEMA}`,
    );
    expect(error.yielded).toMatchObject({ rows: 6, kept: 0, files: [noTests, examples] });
  });

  it('points at max_tokens when the budget is what left nothing', async () => {
    await expect(prepareTaco([SAMPLE], { maxTokens: 1 })).rejects.toThrow(
      `no TACO examples from ${SAMPLE}: none of the 30 rows was kept: 29 rows: over the token budget (max_tokens 1); ` +
        '1 row: solutions: missing or empty; a larger max_tokens keeps more',
    );
  });

  it('says when the files hold no rows at all', async () => {
    const empty = fixture('empty.jsonl');
    await expect(prepareTaco([empty])).rejects.toThrow(`no TACO examples from ${empty}: no rows in them`);
  });
});

describe('prepareTaco rejections and warning', () => {
  it('warns when most rows are unusable but some were kept, with the reasons', async () => {
    const malformed = fixture('malformed.jsonl');
    const prepared = await prepareTaco([malformed], { extra: 0 });
    expect(prepared.report.kept).toBe(1);
    expect(prepared.rejections.reduce((n, r) => n + r.rows, 0)).toBe(6);
    expect(prepared.warning).toBe(
      `6 of the 7 rows of ${malformed} are unusable, 1 problem kept: 1 row: not valid JSON (first: ${malformed} row 2); ` +
        `1 row: question: missing or empty (first: ${malformed} row 3); 1 row: solutions: not valid JSON (first: ${malformed} row 4); ` +
        '3 more rows for 3 other reasons',
    );
  });

  it('does not warn for a healthy input, nor for rows the token budget leaves out', async () => {
    const healthy = await prepareTaco([SAMPLE], { extra: 0 });
    expect(healthy.warning).toBeUndefined();
    expect(healthy.rejections).toEqual([{ reason: 'solutions: missing or empty', rows: 1, skip: 'noSolutions' }]);
    const tight = await prepareTaco([SAMPLE], { extra: 0, maxTokens: 300 });
    expect(tight.report.skipped.overBudget).toBeGreaterThan(15);
    expect(tight.warning).toBeUndefined();
  });
});

describe('tacoRejections', () => {
  it('groups decode failures without their details, commonest first, beside the selection skips', () => {
    const row = (n: number, reason: string) => ({ file: 'a.jsonl', row: n, reason });
    const rejections = tacoRejections(
      [
        row(1, 'not valid JSON (Unexpected token } in JSON at position 3)'),
        row(2, 'solutions[4]: expected a string, got number'),
        row(3, 'not valid JSON (Unexpected end of JSON input)'),
        row(4, 'solutions[0]: expected a string, got object'),
        row(5, 'not valid JSON (Unexpected token a in JSON at position 0)'),
      ],
      report({ noTests: 2, overBudget: 1 }),
    );
    expect(rejections).toEqual([
      { reason: 'not valid JSON', rows: 3, first: { file: 'a.jsonl', row: 1 } },
      { reason: 'input_output: missing or empty (no tests)', rows: 2, skip: 'noTests' },
      { reason: 'solutions[]: expected a string, got number', rows: 1, first: { file: 'a.jsonl', row: 2 } },
      { reason: 'solutions[]: expected a string, got object', rows: 1, first: { file: 'a.jsonl', row: 4 } },
      { reason: 'over the token budget (max_tokens 2000)', rows: 1, skip: 'overBudget' },
    ]);
    expect(describeRejections(rejections, 2)).toBe(
      '3 rows: not valid JSON (first: a.jsonl row 1); 2 rows: input_output: missing or empty (no tests); 3 more rows for 3 other reasons',
    );
  });
});

import path from 'node:path';
import { assembleExamples, datasetStats, prepareTaco, writeExamplesJsonl, type DatasetStats, type SelectionReport } from '@codistill/data';
import { TextTokenizer } from '@codistill/models';
import { z } from 'zod';
import { locate } from '../paths.js';
import { studentInput } from '../config.js';
import { carried, type Stage } from '../stage.js';

export interface DataSummary {
  /** Selected (question, solution, tests) pairs, without contexts yet. */
  examplesFile: string;
  examples: number;
  problems: number;
  malformed: number;
  selection: SelectionReport;
  stats: DatasetStats;
}

const summarySchema: z.ZodType<DataSummary> = z.object({
  examplesFile: z.string(),
  examples: z.number(),
  problems: z.number(),
  malformed: z.number(),
  selection: carried<SelectionReport>(),
  stats: carried<DatasetStats>(),
});

/** TACO selection as in the paper, token budget counted with the student's tokenizer. */
export const dataStage: Stage<'data'> = {
  name: 'data',
  result: summarySchema,
  inputs: (c) => ({ student: studentInput(c), data: { ...c.data, cache_dir: undefined } }),
  files: (c) => c.data.taco.map((file, i) => [`data.taco[${i}]`, file]),
  async run({ config, log, models }, dir) {
    const tokenizer = TextTokenizer.fromDir(await models.student());
    const countTokens = (text: string) => tokenizer.encode(text, false).length;
    const { taco, max_tokens: maxTokens, extra, seed, max_tests: maxTests, cache_dir: cacheDir } = config.data;
    const prepared = await prepareTaco(taco.map(locate), { maxTokens, extra, seed, maxTests, countTokens, cacheDir: cacheDir ?? undefined, onDownload: (f) => log(`data: downloaded ${f}`) });
    // prepareTaco refuses inputs that give no example, naming the files and why.
    if (prepared.warning) log(`data: warning: ${prepared.warning}`);
    const { examples } = assembleExamples(prepared.pairs);
    const examplesFile = path.join(dir, 'examples.jsonl');
    await writeExamplesJsonl(examplesFile, examples);
    const stats = datasetStats(examples, prepared.pairs, countTokens);
    log(`data: ${examples.length} examples from ${prepared.report.problems} problems (${prepared.malformed.length} malformed rows skipped)`);
    return { examplesFile, examples: examples.length, problems: prepared.report.problems, malformed: prepared.malformed.length, selection: prepared.report, stats };
  },
};

import path from 'node:path';
import { assembleExamples, datasetStats, prepareTaco, writeExamplesJsonl, type DatasetStats, type SelectionReport } from '@codistill/data';
import { resolveModel, TextTokenizer } from '@codistill/models';
import { locate } from '../paths.js';
import type { Stage } from '../stage.js';

export interface DataSummary {
  /** Selected (question, solution, tests) pairs, without contexts yet. */
  examplesFile: string;
  examples: number;
  problems: number;
  malformed: number;
  selection: SelectionReport;
  stats: DatasetStats;
}

/** TACO selection as in the paper, token budget counted with the student's tokenizer. */
export const dataStage: Stage<DataSummary> = {
  name: 'data',
  inputs: (c) => ({ student: c.student, data: { ...c.data, cacheDir: undefined } }),
  async run({ config, log }, dir) {
    const tokenizer = TextTokenizer.fromDir(await resolveModel(locate(config.student)));
    const countTokens = (text: string) => tokenizer.encode(text, false).length;
    const { taco, maxTokens, extra, seed, maxTests, cacheDir } = config.data;
    const prepared = await prepareTaco(taco.map(locate), { maxTokens, extra, seed, maxTests, countTokens, cacheDir: cacheDir ?? undefined, onDownload: (f) => log(`data: downloaded ${f}`) });
    const { examples } = assembleExamples(prepared.pairs);
    if (examples.length === 0) throw new Error(`data: no TACO problem fits data.maxTokens = ${maxTokens} (${JSON.stringify(prepared.report.skipped)})`);
    const examplesFile = path.join(dir, 'examples.jsonl');
    await writeExamplesJsonl(examplesFile, examples);
    const stats = datasetStats(examples, prepared.pairs, countTokens);
    log(`data: ${examples.length} examples from ${prepared.report.problems} problems (${prepared.malformed.length} malformed rows skipped)`);
    return { examplesFile, examples: examples.length, problems: prepared.report.problems, malformed: prepared.malformed.length, selection: prepared.report, stats };
  },
};

import { resolveModel, TextTokenizer } from '@codistill/models';
import { readContexts, renderContext } from '@codistill/context';
import { approxTokenCount, assembleExamples, datasetStats, prepareTaco, writeExamplesJsonl } from '@codistill/data';
import type { Command } from 'commander';
import { FLAG_RANGES, numberFlag } from './flag-values.js';

interface TacoFlags {
  in: string[];
  contexts?: string;
  tokenizer?: string;
  maxTokens: number;
  extra: number;
  seed: number;
  maxTests: number;
  cacheDir?: string;
  out: string;
}

const count = numberFlag({ integer: true, min: 0 });

/** `codistill data taco`: the paper's TACO selection and training-example assembly. */
export function register(program: Command): void {
  const data = program.command('data').description('prepare training data');
  data
    .command('taco')
    .description(
      "Select TACO problems as in the paper (question + first solution + tests within --max-tokens, then --extra problems again with another solution), join teacher contexts, write train JSONL {id, prompt, context, code, tests} and print a JSON summary. Token counts use the student tokenizer given by --tokenizer, else an approximate counter.",
    )
    .requiredOption('--in <files...>', 'TACO rows: .jsonl, .json or .parquet files, or hub:train / hub:test for BAAI/TACO')
    .option('--contexts <file>', 'contexts.jsonl from `codistill contexts`; examples without an ok context are left out')
    .option('--tokenizer <dir|hub id>', "student checkpoint whose tokenizer counts the budget (default: an approximate counter)")
    .option('--max-tokens <n>', 'student-token budget for question + solution + tests', numberFlag({ integer: true, min: 1 }), 2000)
    .option('--extra <n>', 'problems repeated with a different random solution', count, 3000)
    .option('--seed <n>', 'seed for the random choices', numberFlag(FLAG_RANGES.seed), 0)
    .option('--max-tests <n>', 'test cases per example', count, 3)
    .option('--cache-dir <dir>', 'where hub: downloads go (default ~/.cache/codistill/taco)')
    .requiredOption('--out <file>', 'train JSONL to write')
    .action(async (flags: TacoFlags) => {
      const tokenizer = flags.tokenizer ? TextTokenizer.fromDir(await resolveModel(flags.tokenizer)) : undefined;
      const countTokens = tokenizer ? (text: string) => tokenizer.encode(text, false).length : approxTokenCount;
      const prepared = await prepareTaco(flags.in, {
        maxTokens: flags.maxTokens,
        extra: flags.extra,
        seed: flags.seed,
        maxTests: flags.maxTests,
        cacheDir: flags.cacheDir,
        countTokens,
      });
      let contextFor: ((id: string) => string | undefined) | undefined;
      if (flags.contexts) {
        const records = await readContexts(flags.contexts);
        contextFor = (id) => {
          const record = records.get(id);
          return record?.status === 'ok' ? renderContext(record.sections) : undefined;
        };
      }
      const { examples, missingContext } = assembleExamples(prepared.pairs, { contextFor });
      await writeExamplesJsonl(flags.out, examples);
      const summary = {
        out: flags.out,
        tokenCounter: flags.tokenizer ?? 'approximate',
        selection: prepared.report,
        malformed: prepared.malformed,
        missingContext: missingContext.length,
        stats: datasetStats(examples, prepared.pairs, countTokens),
      };
      console.log(JSON.stringify(summary, null, 2));
    });
}

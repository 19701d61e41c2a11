import { resolveModel, TextTokenizer } from '@codistill/models';
import { readContexts, renderContext } from '@codistill/context';
import {
  approxTokenCount,
  assembleExamples,
  datasetStats,
  prepareTaco,
  writeExamplesJsonl,
} from '@codistill/data';
import type { Command } from 'commander';
import { DataSettings } from '../settings.js';
import { addSettings } from '../settings-flags.js';
import { checkRevision, modelAt } from './model-flags.js';

interface TacoFlags {
  in: string[];
  contexts?: string;
  tokenizer?: string;
  tokenizerRevision?: string;
  out: string;
}

/** `codistill data taco`: the paper's TACO selection and training-example assembly. */
export function register(program: Command): void {
  const data = program.command('data').description('prepare training data');
  const taco = data
    .command('taco')
    .description(
      'Select TACO problems as in the paper (question + first solution + tests within --max_tokens, then --extra problems again with another solution), join teacher contexts, write train JSONL {id, prompt, context, code, tests} and print a JSON summary. Token counts use the student tokenizer given by --tokenizer, else an approximate counter.',
    )
    .requiredOption(
      '--in <files...>',
      'TACO rows: .jsonl, .json or .parquet files, or hub:train / hub:test for BAAI/TACO',
    )
    .option(
      '--contexts <file>',
      'contexts.jsonl from `codistill contexts`; examples without an ok context are left out',
    )
    .option(
      '--tokenizer <dir|hub id>',
      'student checkpoint whose tokenizer counts the budget (default: an approximate counter)',
    )
    .option('--tokenizer-revision <rev>', "branch, tag or commit of a Hub --tokenizer (vLLM's name; default main)")
    .requiredOption('--out <file>', 'train JSONL to write');
  const settingsOf = addSettings(taco, DataSettings).parse;
  taco.action(async (flags: TacoFlags & Record<string, unknown>) => {
    const settings = settingsOf(flags);
    checkRevision(flags.tokenizer, flags.tokenizerRevision, { model: '--tokenizer', revision: '--tokenizer-revision' });
    const tokenizer = flags.tokenizer
      ? TextTokenizer.fromDir(await resolveModel(flags.tokenizer, { revision: flags.tokenizerRevision }))
      : undefined;
    const countTokens = tokenizer ? (text: string) => tokenizer.encode(text, false).length : approxTokenCount;
    const prepared = await prepareTaco(flags.in, {
      maxTokens: settings.max_tokens,
      extra: settings.extra,
      seed: settings.seed,
      maxTests: settings.max_tests,
      cacheDir: settings.cache_dir ?? undefined,
      countTokens,
    });
    // stdout carries the JSON summary; a warning goes beside it, where a pipe does not swallow it.
    if (prepared.warning) console.error(`codistill: warning: ${prepared.warning}`);
    let contextFor: ((id: string) => string | undefined) | undefined;
    if (flags.contexts) {
      const records = await readContexts(flags.contexts);
      contextFor = (id) => {
        const record = records.get(id);
        return record?.status === 'ok' ? renderContext(record.sections) : undefined;
      };
    }
    const { examples, missingContext } = assembleExamples(prepared.pairs, { contextFor });
    // Checked before writing: an empty result must not replace a finished --out file.
    if (examples.length === 0) {
      throw new Error(
        `no examples: none of the ${prepared.pairs.length} selected examples has an ok context in ${flags.contexts}; ` +
          'make the contexts for these examples: this command without --contexts, then `codistill contexts --examples` on its --out',
      );
    }
    await writeExamplesJsonl(flags.out, examples);
    const summary = {
      out: flags.out,
      tokenCounter: flags.tokenizer ? modelAt(flags.tokenizer, flags.tokenizerRevision) : 'approximate',
      selection: prepared.report,
      rejections: prepared.rejections,
      malformed: prepared.malformed,
      missingContext: missingContext.length,
      stats: datasetStats(examples, prepared.pairs, countTokens),
    };
    console.log(JSON.stringify(summary, null, 2));
  });
}

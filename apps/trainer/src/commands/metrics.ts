import { codeBleuFromJsonl, parseWeights } from '@codistill/metrics';
import type { Command } from 'commander';

/** `codistill metrics codebleu`: CodeBLEU of JSONL hypotheses against JSONL references, as JSON lines. */
export function register(program: Command): void {
  const metrics = program.command('metrics').description('Evaluation metrics (CodeBLEU)');
  metrics
    .command('codebleu')
    .description('CodeBLEU (n-gram, weighted n-gram, syntax and data-flow match) of hypotheses against references')
    .requiredOption('--refs <file>', 'JSONL references: {"code": ...} or {"codes": [...]} per line')
    .requiredOption('--hyps <file>', 'JSONL hypotheses: {"code": ..., "id"?: ...} per line')
    .option('--weights <list>', 'weights of ngram,weighted-ngram,syntax,dataflow', '0.25,0.25,0.25,0.25')
    .option('--sentence', 'also print one line per hypothesis before the corpus line')
    .option('--lang <name>', 'programming language: java, javascript, c_sharp, php, c, cpp, python, go, ruby or rust (its grammar loads on use)', 'python')
    .action(async (options: { refs: string; hyps: string; weights: string; sentence?: boolean; lang: string }) => {
      const lines = await codeBleuFromJsonl(options.refs, options.hyps, {
        weights: parseWeights(options.weights),
        sentence: options.sentence ?? false,
        lang: options.lang,
      });
      for (const line of lines) process.stdout.write(JSON.stringify(line) + '\n');
    });
}

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { withInterrupt } from '../interrupt.js';
import { progressBar } from '../progress.js';
import { parseRunConfig, runConfigSchema, stripComments } from '../run/config.js';
import { addSettingFlags, applySettingFlags, settingFlags } from '../settings-flags.js';
import { runPipeline } from '../run/pipeline.js';

const FLAGS = settingFlags(runConfigSchema);

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const text = await readFile(file, 'utf8').catch((e: Error) => {
    throw new Error(`--config ${file}: ${e.message}`);
  });
  try {
    return stripComments(JSON.parse(text)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** `codistill run`: data -> contexts -> train -> eval -> report, each stage skipped when done and resumed when partial. */
export function register(program: Command): void {
  const command = program
    .command('run')
    .description(
      'run the whole pipeline (data, contexts, train, eval, report) into the run folder; without --config it is the built-in tiny run. Every config field is also a flag (--train.lora.r 32); flags override the file. Rerunning skips finished stages and resumes an interrupted one.',
    )
    .option('--config <file>', 'run config JSON (see `codistill init`); "//" keys are comments');
  addSettingFlags(command, FLAGS, runConfigSchema.parse({}));
  command.action(async (flags: { config?: string } & Record<string, unknown>) => {
    const raw = flags.config ? await readConfigFile(flags.config) : {};
    const config = parseRunConfig(applySettingFlags(raw, FLAGS, flags), flags.config ?? 'run config');
    const interactive = config.progress && process.stderr.isTTY;
    const results = await withInterrupt((signal) =>
      runPipeline(config, {
        signal,
        log: (line) => console.error(line),
        progress: (label, fields) => progressBar(label, interactive, fields),
      }),
    );
    console.log(JSON.stringify({ out: config.out, report: results.report.html }));
  });
}

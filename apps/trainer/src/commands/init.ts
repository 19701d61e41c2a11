import { access, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { commentedConfig, presetConfig, PRESETS, type PresetName } from '../run/presets.js';

/** `codistill init`: writes a commented config for `codistill run`. */
export function register(program: Command): void {
  program
    .command('init')
    .description('write a run config with a "//name" comment before each field ("//" keys are ignored when it is read)')
    .option('--out <file>', 'config file to write', 'run.json')
    .option('--preset <name>', `${Object.keys(PRESETS).join(' or ')}: the built-in tiny run, or the paper's setting (70B teacher on vLLM, 8B student on CUDA)`, 'tiny')
    .option('--force', 'overwrite an existing file')
    .action(async (o: { out: string; preset: string; force?: boolean }) => {
      if (!(o.preset in PRESETS)) throw new Error(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${o.preset}"`);
      const exists = await access(o.out).then(() => true, () => false);
      if (exists && !o.force) throw new Error(`${o.out} exists: pass --force to overwrite`);
      const config = presetConfig(o.preset as PresetName);
      await writeFile(o.out, JSON.stringify({ '//': `codistill run --config ${o.out}  (every field can also be given as a flag, e.g. --train.learning_rate 1e-4)`, ...(commentedConfig(config) as object) }, null, 2) + '\n');
      console.log(`wrote ${o.out}`);
    });
}

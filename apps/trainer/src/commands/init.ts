import { access, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { exampleConfig } from '../run/config.js';

/** `codistill init`: writes a commented example config for `codistill run`. */
export function register(program: Command): void {
  program
    .command('init')
    .description('write an example run config ("//" keys are comments)')
    .option('--out <file>', 'config file to write', 'run.json')
    .option('--force', 'overwrite an existing file')
    .action(async (o: { out: string; force?: boolean }) => {
      const exists = await access(o.out).then(() => true, () => false);
      if (exists && !o.force) throw new Error(`${o.out} exists: pass --force to overwrite`);
      await writeFile(o.out, JSON.stringify(exampleConfig(), null, 2) + '\n');
      console.log(`wrote ${o.out}`);
    });
}

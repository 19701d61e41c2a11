import { gpuDoctor } from '@codistill/graph';
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check the execution providers of this machine (CPU, WebGPU, CUDA), its GPU drivers, and how to fix what is missing')
    .action(async () => {
      for (const c of await gpuDoctor()) {
        console.log(`${c.ok ? 'ok     ' : c.ok === null ? 'unknown' : 'missing'}  ${c.name.padEnd(16)}  ${c.detail}`);
        if (c.fix) console.log(`${' '.repeat(27)}fix: ${c.fix}`);
      }
    });
}

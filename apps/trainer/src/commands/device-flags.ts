import { Option, type Command } from 'commander';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '@codistill/graph';

export interface DeviceFlags {
  device: ExecutionProvider;
  allowCpuFallback?: boolean;
}

/** `--device` and `--allow-cpu-fallback`, the same on every command that runs a model. */
export function deviceOptions(command: Command, what = 'where the model runs'): Command {
  return command
    .addOption(new Option('--device <name>', what).choices(EXECUTION_PROVIDERS).default('cpu'))
    .option('--allow-cpu-fallback', 'on cuda/webgpu, run nodes the provider has no kernel for on the CPU (with device <-> host copies) instead of refusing');
}

import { Option, type Command } from 'commander';
import { EXECUTION_PROVIDERS, probeProvider, type ExecutionProvider } from '@codistill/graph';

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

/** Refuses a `--device` that cannot run here (no Vulkan driver, no NVIDIA GPU) before any model is loaded, naming the flag and the fix. */
export async function checkDeviceFlag(device: ExecutionProvider): Promise<void> {
  const unusable = await probeProvider(device);
  if (unusable) throw new Error(`--device ${device}: ${unusable}`);
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** A command's output; '' when it fails, undefined when it is not installed. */
export function commandOutput(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : '';
  }
}

/** The GPUs nvidia-smi lists ('NVIDIA H200, 560.35.03, 143771 MiB'); undefined when nvidia-smi is not installed, [] when it lists none or fails. */
export function nvidiaGpus(): string[] | undefined {
  const out = commandOutput('nvidia-smi', [
    '--query-gpu=name,driver_version,memory.total',
    '--format=csv,noheader',
  ]);
  return out === undefined ? undefined : out.split('\n').filter(Boolean);
}

/** The NVIDIA kernel driver writes this while it is loaded (Linux): a driver without nvidia-smi on PATH still shows here. */
const NVIDIA_DRIVER = '/proc/driver/nvidia/version';

/**
 * Why this machine cannot run CUDA: no NVIDIA driver, or one that lists no GPU; undefined when
 * nvidia-smi lists a GPU, or when the kernel driver is loaded without nvidia-smi (not known
 * missing). For messages: whether CUDA works is learnt by running it.
 */
export function missingForCuda(gpus: string[] | undefined = nvidiaGpus()): string | undefined {
  if (gpus?.length) return undefined;
  if (gpus) return 'nvidia-smi lists no NVIDIA GPU';
  return fs.existsSync(NVIDIA_DRIVER)
    ? undefined
    : `no NVIDIA GPU or driver was found (nvidia-smi is not installed and ${NVIDIA_DRIVER} is absent)`;
}

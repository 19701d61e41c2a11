import { execFileSync } from 'node:child_process';
import ort from 'onnxruntime-node';
import { availableProviders, CUDA_INSTALL } from '../runner.js';
import { INSTALL_LAVAPIPE, missingForWebGpu, vulkanStatus } from './vulkan.js';
import { probeWebGpu } from './webgpu-probe.js';

/** One finding about this machine's GPU execution. */
export interface DoctorCheck {
  name: string;
  /** null: it could not be checked here (a tool to check it with is missing). */
  ok: boolean | null;
  detail: string;
  /** The command (or step) that fixes it, or that makes it checkable, when not ok. */
  fix?: string;
}

const check = (name: string, ok: boolean | null, detail: string, fix: string): DoctorCheck => (ok ? { name, ok, detail } : { name, ok, detail, fix });

/** A command's output; '' when it fails, undefined when it is not installed. */
function output(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : '';
  }
}

/** Vulkan devices as `vulkaninfo --summary` names them ('llvmpipe (LLVM 15.0.6, 256 bits), CPU'); undefined without vulkaninfo. */
function vulkanDevices(): string[] | undefined {
  const summary = output('vulkaninfo', ['--summary']);
  if (summary === undefined) return undefined;
  const field = (name: string) => [...summary.matchAll(new RegExp(`^\\s*${name}\\s*= (.*)$`, 'gm'))].map((m) => m[1]);
  const types = field('deviceType');
  return field('deviceName').map((name, i) => `${name}, ${(types[i] ?? '').replace('PHYSICAL_DEVICE_TYPE_', '')}`);
}

function nvidiaSmi(): DoctorCheck {
  const gpus = output('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
  const detail = gpus === undefined ? 'not found: no NVIDIA driver' : gpus.split('\n').join('; ') || 'found, but it lists no GPU';
  return check('nvidia-smi', Boolean(gpus), detail, 'CUDA needs an NVIDIA GPU with its driver (nvidia-smi), CUDA 12 and cuDNN 9');
}

function vulkanChecks(): DoctorCheck[] {
  const status = vulkanStatus();
  const devices = vulkanDevices();
  return [
    check('vulkan loader', Boolean(status.loader), status.loader ?? 'libvulkan.so.1 not found', INSTALL_LAVAPIPE),
    check('vulkan drivers', status.icds.length > 0, `${status.icds.join(', ') || 'none'}${status.lavapipe ? ` (lavapipe ${status.lavapipe})` : ''}`, INSTALL_LAVAPIPE),
    devices
      ? check('vulkan devices', devices.length > 0, devices.join('; ') || 'none', INSTALL_LAVAPIPE)
      : check('vulkan devices', null, 'not listed: vulkaninfo is not installed', 'apt-get install vulkan-tools'),
  ];
}

async function providerChecks(): Promise<DoctorCheck[]> {
  const listed = ort.listSupportedBackends().map((b) => (b.bundled ? b.name : `${b.name} (separate download)`));
  const available = availableProviders();
  const webgpu = await probeWebGpu();
  return [
    { name: 'onnxruntime-node', ok: true, detail: `providers in this build: ${listed.join(', ')}` },
    { name: 'provider cpu', ok: true, detail: 'bundled' },
    check('provider webgpu', !webgpu, webgpu ?? 'bundled; a one-node graph ran on it', missingForWebGpu() ? INSTALL_LAVAPIPE : 'see the Vulkan lines below'),
    check('provider cuda', available.has('cuda'), `libonnxruntime_providers_cuda.so ${available.has('cuda') ? '' : 'not '}installed`, CUDA_INSTALL),
  ];
}

/** What this machine offers for GPU execution, and what is missing with the command that adds it. */
export async function gpuDoctor(): Promise<DoctorCheck[]> {
  return [...(await providerChecks()), ...vulkanChecks(), nvidiaSmi()];
}

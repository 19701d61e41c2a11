import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { availableProviders, CUDA_INSTALL } from '../runner.js';
import { commandOutput as output, missingForCuda, nvidiaGpus } from './nvidia.js';
import { INSTALL_LAVAPIPE, lavapipeDir, missingForWebGpu, vulkanStatus, type VulkanStatus } from './vulkan.js';
import { probeWebGpu } from './probe-provider.js';

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

/** Vulkan devices as `vulkaninfo --summary` names them ('llvmpipe (LLVM 15.0.6, 256 bits), CPU'); undefined without vulkaninfo. */
function vulkanDevices(): string[] | undefined {
  const summary = output('vulkaninfo', ['--summary']);
  if (summary === undefined) return undefined;
  const field = (name: string) => [...summary.matchAll(new RegExp(`^\\s*${name}\\s*= (.*)$`, 'gm'))].map((m) => m[1]);
  const types = field('deviceType');
  return field('deviceName').map((name, i) => `${name}, ${(types[i] ?? '').replace('PHYSICAL_DEVICE_TYPE_', '')}`);
}

function nvidiaSmi(gpus: string[] | undefined): DoctorCheck {
  const detail = gpus === undefined ? 'not found: no NVIDIA driver' : gpus.join('; ') || 'found, but it lists no GPU';
  return check('nvidia-smi', Boolean(gpus?.length), detail, 'CUDA needs an NVIDIA GPU with its driver (nvidia-smi), CUDA 12 and cuDNN 9');
}

/** The driver library a Vulkan manifest names (undefined when unreadable). */
function driverLibrary(manifest: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
  } catch {
    return undefined;
  }
}

/** The manifests found, with the lavapipe install's version where one of them is its; those VK_ICD_FILENAMES names in vain. */
function vulkanDrivers(status: VulkanStatus): string {
  const lavapipe = status.lavapipe && status.icds.some((f) => driverLibrary(f)?.startsWith(lavapipeDir())) ? ` (lavapipe ${status.lavapipe})` : '';
  const absent = status.icdsAbsent.length ? `; VK_ICD_FILENAMES names ${status.icdsAbsent.join(', ')}, which does not exist` : '';
  return `${status.icds.join(', ') || 'none'}${lavapipe}${absent}`;
}

function vulkanChecks(): DoctorCheck[] {
  const status = vulkanStatus();
  const devices = vulkanDevices();
  return [
    check('vulkan loader', Boolean(status.loader), status.loader ?? 'libvulkan.so.1 not found', INSTALL_LAVAPIPE),
    check('vulkan drivers', status.icds.length > 0, vulkanDrivers(status), INSTALL_LAVAPIPE),
    devices
      ? check('vulkan devices', devices.length > 0, devices.join('; ') || 'none', INSTALL_LAVAPIPE)
      : check('vulkan devices', null, 'not listed: vulkaninfo is not installed', 'apt-get install vulkan-tools'),
  ];
}

async function providerChecks(gpus: string[] | undefined): Promise<DoctorCheck[]> {
  const listed = ort.listSupportedBackends().map((b) => (b.bundled ? b.name : `${b.name} (separate download)`));
  const available = availableProviders();
  const webgpu = await probeWebGpu();
  return [
    { name: 'onnxruntime-node', ok: true, detail: `providers in this build: ${listed.join(', ')}` },
    { name: 'provider cpu', ok: true, detail: 'bundled' },
    check('provider webgpu', !webgpu, webgpu ?? 'bundled; a one-node graph ran on it', missingForWebGpu() ? INSTALL_LAVAPIPE : 'see the Vulkan lines below'),
    // Without an NVIDIA GPU the provider's libraries cannot help: the detail says so beside the fix.
    check('provider cuda', available.has('cuda'), `libonnxruntime_providers_cuda.so ${available.has('cuda') ? '' : 'not '}installed${missingForCuda(gpus) ? '; no NVIDIA GPU here to run it (nvidia-smi below)' : ''}`, CUDA_INSTALL),
  ];
}

/** What this machine offers for GPU execution, and what is missing with the command that adds it. */
export async function gpuDoctor(): Promise<DoctorCheck[]> {
  const gpus = nvidiaGpus();
  return [...(await providerChecks(gpus)), ...vulkanChecks(), nvidiaSmi(gpus)];
}

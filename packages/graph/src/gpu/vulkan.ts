import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheHome } from '@codistill/util';

/**
 * Where scripts/install-lavapipe.sh unpacks Mesa's software Vulkan driver (lavapipe): the same
 * default as the script, $LAVAPIPE_DIR when set.
 */
export function lavapipeDir(): string {
  return process.env.LAVAPIPE_DIR || path.join(cacheHome(), 'codistill', 'lavapipe');
}

const MULTIARCH: Record<string, string> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };
const LIB_DIRS = [`/usr/lib/${MULTIARCH[process.arch]}`, `/lib/${MULTIARCH[process.arch]}`, '/usr/lib64', '/usr/lib', '/usr/local/lib'];

/** The folders the Vulkan loader reads driver manifests from (install-lavapipe.sh writes to the first). */
function icdDirs(): string[] {
  const data = process.env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return [path.join(data, 'vulkan', 'icd.d'), '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];
}

export interface VulkanStatus {
  /** The Vulkan loader (libvulkan.so.1) that Dawn, WebGPU's implementation, opens; undefined when absent. */
  loader?: string;
  /** Driver manifests the loader reads: VK_ICD_FILENAMES's that exist when it is set, else those in its folders. */
  icds: string[];
  /** Manifests VK_ICD_FILENAMES names that do not exist (the loader finds no driver there). */
  icdsAbsent: string[];
  /** The Mesa version of install-lavapipe.sh's lavapipe, when installed. */
  lavapipe?: string;
}

export function vulkanStatus(): VulkanStatus {
  const loader = LIB_DIRS.map((d) => path.join(d, 'libvulkan.so.1')).find((f) => fs.existsSync(f));
  const chosen = process.env.VK_ICD_FILENAMES?.split(':').filter(Boolean);
  const icds = chosen?.filter((f) => fs.existsSync(f)) ?? icdDirs().flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((f) => path.join(d, f)) : []));
  const versionFile = path.join(lavapipeDir(), 'version');
  return { loader, icds, icdsAbsent: chosen?.filter((f) => !icds.includes(f)) ?? [], lavapipe: fs.existsSync(versionFile) ? fs.readFileSync(versionFile, 'utf8').trim() : undefined };
}

/** The command that installs the loader and a software driver (Debian/Ubuntu, as root). */
export const INSTALL_LAVAPIPE = 'sudo scripts/install-lavapipe.sh';

/** What WebGPU lacks on this machine and how to install it; undefined when nothing is missing. */
export function missingForWebGpu(status: VulkanStatus = vulkanStatus()): string | undefined {
  const fix = `install it with \`${INSTALL_LAVAPIPE}\` (a software device), or a GPU's Vulkan driver`;
  if (!status.loader) return `no Vulkan loader (libvulkan.so.1, Debian package libvulkan1): ${fix}`;
  if (!status.icds.length && status.icdsAbsent.length) return `no Vulkan driver: VK_ICD_FILENAMES names ${status.icdsAbsent.join(', ')}, which does not exist; correct or unset it, or ${fix}`;
  if (!status.icds.length) return `no Vulkan driver (a manifest in ${icdDirs().join(', ')} or VK_ICD_FILENAMES): ${fix}`;
  return undefined;
}

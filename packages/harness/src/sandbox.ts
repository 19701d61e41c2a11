import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';

/** How untrusted code is isolated: bubblewrap namespaces, or plain process limits only. */
export type SandboxKind = 'bwrap' | 'process';

export interface PythonInstall {
  /** The real interpreter (pyenv shims and venv links resolved by asking Python itself). */
  executable: string;
  /** sys.prefix and sys.base_prefix: the trees the sandbox must expose read-only. */
  prefixes: string[];
}

export interface SandboxPlan {
  kind: SandboxKind;
  python: PythonInstall;
  /** Whether the runner may switch to a private uid (only as root, and only where it can still read Python). */
  dropRoot: boolean;
}

const pythonCache = new Map<string, PythonInstall>();

export function resolvePython(command = 'python3'): PythonInstall {
  const cached = pythonCache.get(command);
  if (cached) return cached;
  const script = 'import json,sys;print(json.dumps([sys.executable,sys.prefix,sys.base_prefix]))';
  const [executable, prefix, basePrefix] = JSON.parse(execFileSync(command, ['-c', script], { encoding: 'utf8' }));
  const install = { executable, prefixes: [...new Set<string>([prefix, basePrefix])] };
  pythonCache.set(command, install);
  return install;
}

/** Mount a whitelist of system directories; everything else (home, /work, /etc secrets) is absent. */
function systemMounts(): string[] {
  const args: string[] = [];
  for (const dir of ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64']) {
    let info;
    try {
      info = lstatSync(dir);
    } catch {
      continue;
    }
    if (info.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  return args;
}

/** Ancestors of a bound tree are created 0755 so a dropped uid can reach e.g. /root/.pyenv. */
function openPathTo(target: string): string[] {
  const args: string[] = [];
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 1; i < parts.length; i++) {
    args.push('--perms', '0755', '--dir', '/' + parts.slice(0, i).join('/'));
  }
  return args;
}

export function bwrapArgs(python: PythonInstall, workdir: string, readOnlyFiles: string[] = []): string[] {
  const args = [...systemMounts(), '--tmpfs', '/tmp', '--dev', '/dev', '--proc', '/proc'];
  for (const prefix of python.prefixes) args.push(...openPathTo(prefix), '--ro-bind', prefix, prefix);
  for (const file of readOnlyFiles) args.push(...openPathTo(file), '--ro-bind', file, file);
  args.push(...openPathTo(workdir), '--bind', workdir, workdir, '--chdir', workdir);
  // No user namespace: as root it would map the sandbox back to uid 0, which RLIMIT_NPROC ignores.
  const namespaces = process.getuid?.() === 0 ? ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts'] : ['--unshare-all'];
  return [...args, ...namespaces, '--die-with-parent', '--new-session', '--'];
}

function worldTraversable(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    if ((statSync(current).mode & 0o005) !== 0o005) return false;
    if (current === path.dirname(current)) return true;
  }
}

let bwrapWorks: boolean | undefined;

/** Probes once whether bubblewrap exists and can build a sandbox here (containers may forbid it). */
export function bwrapAvailable(python: PythonInstall): boolean {
  if (bwrapWorks === undefined) {
    const probe = spawnSync('bwrap', [...bwrapArgs(python, '/tmp'), python.executable, '-c', 'pass'], {
      stdio: 'ignore',
      timeout: 20_000,
    });
    bwrapWorks = probe.status === 0;
  }
  return bwrapWorks;
}

export function planSandbox(options: { sandbox?: SandboxKind | 'auto'; python?: string } = {}): SandboxPlan {
  const python = resolvePython(options.python);
  const wanted = options.sandbox ?? 'auto';
  const kind: SandboxKind = wanted === 'auto' ? (bwrapAvailable(python) ? 'bwrap' : 'process') : wanted;
  if (kind === 'bwrap' && !bwrapAvailable(python)) throw new Error('sandbox "bwrap" requested but bubblewrap cannot start here');
  const root = process.getuid?.() === 0;
  const dropRoot = root && (kind === 'bwrap' || python.prefixes.every(worldTraversable));
  return { kind, python, dropRoot };
}

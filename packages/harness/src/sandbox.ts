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
  /** The bubblewrap command (kind 'bwrap'). */
  bwrap: string;
  python: PythonInstall;
  /** Whether the sandboxed process switches to a private uid: always as root (planSandbox refuses where that uid cannot read Python). */
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

/**
 * bwrap's command line. With `diskBytes` (untrusted code) the work dir and /tmp are fresh tmpfs mounts of
 * that size, so a sample cannot fill the host's disk; without it (the trusted oracle run, whose outputs
 * are collected afterwards) the host work dir is bound.
 */
export function bwrapArgs(python: PythonInstall, workdir: string, diskBytes?: number): string[] {
  const sized = diskBytes === undefined ? [] : ['--size', String(diskBytes)];
  const args = [...systemMounts(), ...sized, '--tmpfs', '/tmp', '--dev', '/dev', '--proc', '/proc'];
  for (const prefix of python.prefixes) args.push(...openPathTo(prefix), '--ro-bind', prefix, prefix);
  args.push(...openPathTo(workdir));
  if (diskBytes === undefined) args.push('--bind', workdir, workdir);
  else args.push('--perms', '0777', ...sized, '--tmpfs', workdir);
  args.push('--chdir', workdir);
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

const bwrapWorks = new Map<string, boolean>();

/** Probes once per command whether bubblewrap exists and can build a sandbox here (containers may forbid it). */
export function bwrapAvailable(python: PythonInstall, bwrap = 'bwrap'): boolean {
  let works = bwrapWorks.get(bwrap);
  if (works === undefined) {
    const probe = spawnSync(bwrap, [...bwrapArgs(python, '/tmp', 2 ** 20), python.executable, '-c', 'pass'], { stdio: 'ignore', timeout: 20_000 });
    works = probe.status === 0;
    // A probe that Ctrl-C stopped says nothing about bubblewrap: asked again next time.
    if (probe.signal !== 'SIGINT') bwrapWorks.set(bwrap, works);
  }
  return works;
}

export interface SandboxOptions {
  /** 'auto' (default): bubblewrap when it works here, else the weaker process fallback with a warning. */
  sandbox?: SandboxKind | 'auto';
  /** Refuse to run without bubblewrap instead of falling back (`--require-sandbox`). */
  requireSandbox?: boolean;
  python?: string;
  /** The bubblewrap command (default 'bwrap' on the PATH). */
  bwrap?: string;
  /** Told when the fallback is chosen; default: a warning on stderr. */
  warn?: (message: string) => void;
}

const FALLBACK_WARNING =
  'warning: bubblewrap is not available, so generated code runs in the weaker process sandbox (kernel limits and a guard only: it can read the host file system and reach the network); install bubblewrap (apt-get install bubblewrap) or pass --require-sandbox to refuse';

export function planSandbox(options: SandboxOptions = {}): SandboxPlan {
  const python = resolvePython(options.python);
  const wanted = options.sandbox ?? 'auto';
  const bwrap = options.bwrap ?? 'bwrap';
  const available = bwrapAvailable(python, bwrap);
  if ((wanted === 'bwrap' || options.requireSandbox) && !available) {
    throw new Error('bubblewrap is required (--sandbox bwrap or --require-sandbox) but cannot start here: install it (apt-get install bubblewrap) or allow unprivileged user namespaces');
  }
  if (wanted === 'process' && options.requireSandbox) throw new Error('--sandbox process contradicts --require-sandbox');
  const kind: SandboxKind = wanted === 'auto' ? (available ? 'bwrap' : 'process') : wanted;
  if (kind === 'process' && wanted === 'auto') (options.warn ?? ((m) => console.warn(m)))(FALLBACK_WARNING);
  const root = process.getuid?.() === 0;
  if (root && kind === 'process' && !python.prefixes.every(worldTraversable)) {
    // The private uid could not start this Python, and untrusted code never runs as root.
    throw new Error(
      `refusing to run generated code as root: the process sandbox drops to an unprivileged uid, which cannot read ${python.executable} (under ${python.prefixes.join(', ')}); install bubblewrap, run as a normal user, or pass a Python installed for all users (e.g. --python /usr/bin/python3)`,
    );
  }
  return { kind, bwrap, python, dropRoot: root };
}

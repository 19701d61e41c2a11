import { existsSync } from 'node:fs';

/**
 * The Python for process-sandbox tests: as root the sandbox drops to a private uid, which must be able
 * to read the interpreter (a pyenv under /root cannot be), so root uses the system Python.
 */
export function processSandboxPython(): string | undefined {
  return process.getuid?.() === 0 && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : undefined;
}

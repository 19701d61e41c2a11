// Python run before any untrusted code: kernel resource limits, dropping root, and the
// destructive-function guard. The guard follows the idea of human-eval's reliability_guard
// (replace functions that change the machine with ones that refuse); it is a tripwire against
// accidents, not a security boundary: bubblewrap and the kernel limits are.
export const GUARD_SOURCE = String.raw`
import builtins as _builtins, os as _os, resource as _resource

def _set_limit(kind, value):
    try:
        _resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass

def apply_limits(limits):
    memory = limits["memoryBytes"]
    _set_limit(_resource.RLIMIT_AS, memory)
    _set_limit(_resource.RLIMIT_DATA, memory)
    _set_limit(_resource.RLIMIT_STACK, memory)
    _set_limit(_resource.RLIMIT_CPU, limits["cpuSeconds"])
    _set_limit(_resource.RLIMIT_FSIZE, limits["fileSizeBytes"])
    _set_limit(_resource.RLIMIT_CORE, 0)
    _set_limit(_resource.RLIMIT_NOFILE, 256)
    _set_limit(_resource.RLIMIT_NPROC, limits["processes"])
    uid = limits.get("uid")
    if uid is not None and _os.getuid() == 0:
        # Root ignores RLIMIT_NPROC; a private unprivileged uid makes the fork limit real.
        _os.setgroups([])
        _os.setgid(uid)
        _os.setuid(uid)

class _Refused(PermissionError):
    pass

def _refuse(name):
    def refused(*args, **kwargs):
        raise _Refused(name + " is disabled in the harness sandbox")
    return refused

def disable_destructive_functions(workdir):
    import shutil, socket, subprocess, sys
    os_names = ["kill", "killpg", "system", "popen", "fork", "forkpty", "setsid", "setuid", "setgid",
                "remove", "removedirs", "rmdir", "unlink", "rename", "renames", "replace", "truncate",
                "chmod", "fchmod", "lchmod", "chown", "fchown", "lchown", "chroot", "fchdir",
                "execv", "execve", "execl", "execle", "execlp", "execvp", "execvpe",
                "spawnv", "spawnve", "spawnl", "spawnle", "posix_spawn", "posix_spawnp"]
    import posix  # os re-exports these; patch the source module too
    for name in os_names:
        for module in (_os, posix):
            if hasattr(module, name):
                setattr(module, name, _refuse("os." + name))
    for name in ["rmtree", "move", "chown"]:
        setattr(shutil, name, _refuse("shutil." + name))
    subprocess.Popen = _refuse("subprocess.Popen")
    socket.socket = _refuse("socket.socket")
    socket.create_connection = _refuse("socket.create_connection")
    _builtins.exit = _refuse("exit")
    _builtins.quit = _refuse("quit")
    _builtins.help = _refuse("help")
    real_open = _builtins.open
    root = _os.path.realpath(workdir) + _os.sep

    def guarded_open(file, mode="r", *args, **kwargs):
        # Reading is left to the sandbox's mount table; writing is kept inside the work dir.
        writing = any(flag in mode for flag in "wax+")
        if writing and not isinstance(file, int):
            if not _os.path.realpath(file).startswith(root):
                raise _Refused("writing outside the work directory is disabled")
        return real_open(file, mode, *args, **kwargs)

    _builtins.open = guarded_open
    for name in ["resource", "psutil", "ipdb", "joblib", "tkinter"]:
        sys.modules[name] = None
`;

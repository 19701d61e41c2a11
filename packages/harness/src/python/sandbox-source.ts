// The Python program that runs inside every sandboxed process. It is passed with `python -I -B -c`
// and reads one JSON job line on stdin. Kept as a string (not a .py asset) so the published bundle
// needs no file lookup. It must not contain backticks or dollar-brace sequences.
//
// Two kinds of job:
// - "serve": load the untrusted program, then answer the judge's requests (call a function, read a
//   global) with values in the codec's format. It never sees tests or expected outputs and decides
//   no verdict: everything it writes is data for the judge (judge-source.ts).
// - "oracle": run a task's canonical solution on the benchmark inputs and store the outputs (pickle)
//   for the judge, as EvalPlus computes its ground truth.
import { CODEC_SOURCE } from './codec-source.js';
import { GUARD_SOURCE } from './guard-source.js';
import { MBPP_INPUT_CONVERSIONS_SOURCE } from './mbpp-inputs-source.js';

const SANDBOX_MAIN = String.raw`
import copy, json, os, pickle, signal, sys, time, types

def raised(exc):
    return ["raise", type(exc).__name__, str(exc)[:500], error_status(exc)]

def global_kinds(namespace):
    kinds = []
    for name, value in list(namespace.items()):
        if name.startswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            kinds.append([name, "module", str(getattr(value, "__name__", ""))])
        elif callable(value):
            kinds.append([name, "callable", ""])
        else:
            kinds.append([name, "value", ""])
    return kinds

def serve(job, channel, reply):
    # The program (and MBPP's setup code, which builds fixtures from the program's classes) is loaded
    # afresh on each "load"; calls and reads then run in that namespace.
    namespace, refs, pending = {}, [], []

    def resolve(body):
        if type(body) is not list or not body or type(body[0]) is not int or not 0 <= body[0] < len(refs):
            raise ProtocolError("unknown reference")
        return refs[body[0]]

    while True:
        line = channel.readline()
        if not line:
            return
        message = decode_message(line, resolve)
        op = message[0]
        if op == "load":
            namespace, refs[:] = {}, []
            try:
                set_alarm(job["loadSeconds"])
                exec(compile(job["code"], "<solution>", "exec"), namespace)
                if job.get("setupCode"):
                    exec(compile(job["setupCode"], "<setup>", "exec"), namespace)
                set_alarm(0)
                reply(["ready", global_kinds(namespace)])
            except BaseException as exc:
                set_alarm(0)
                reply(raised(exc))
        elif op == "call":
            # With digest_first the output stays here until the judge asks for it ("fetch"): a right
            # answer is settled by its digest alone.
            target, args, seconds, digest_first = message[1], message[2], message[3], message[4]
            try:
                function = target if not isinstance(target, str) else namespace[target]
                set_alarm(seconds)
                out = function(*args)
                set_alarm(0)
                if digest_first:
                    pending = [out]
                    reply(["digest", output_digest(out)])
                else:
                    reply(["value", encode_value(out, refs)])
            except BaseException as exc:
                set_alarm(0)
                reply(raised(exc))
        elif op == "fetch":
            try:
                out = pending.pop()
                reply(["value", encode_value(out, refs), type_name(out)])
            except BaseException as exc:
                reply(raised(exc))
        elif op == "get":
            try:
                reply(["value", encode_value(namespace[message[1]], refs)])
            except BaseException as exc:
                reply(raised(exc))
        else:
            raise ProtocolError("unknown request " + repr(op)[:50])

def run_oracle(job, emit):
    # Expected outputs come from the canonical solution (trusted code), as EvalPlus computes its ground truth.
    try:
        namespace = {}
        exec(compile(job["code"], "<solution>", "exec"), namespace)
        function = namespace[job["entryPoint"]]
    except BaseException as exc:
        return emit({"phase": "oracle", "status": "error", "message": describe(exc)})
    for phase in job["phases"]:
        outputs, times = [], []
        for args in phase_inputs(job, phase):
            args = copy.deepcopy(args)
            start = time.perf_counter()
            try:
                out = function(*args)
            except BaseException as exc:
                return emit({"phase": phase["name"], "status": "error", "message": describe(exc)})
            times.append(time.perf_counter() - start)
            outputs.append(out is not None if job.get("outputNotNone") else out)
        # Expected outputs can be hundreds of MB (Mbpp/255), so they go to a file, not the result pipe.
        with open(phase["name"] + ".pkl", "wb") as handle:
            pickle.dump(outputs, handle)
        emit({"phase": phase["name"], "expectedFile": phase["name"] + ".pkl", "times": times,
              "digests": [expected_digest(out) for out in outputs], "floats": [is_floats(out) for out in outputs]})

def add_site_packages():
    # The sandboxed process starts with -S: the site directories' import hooks (.pth lines starting with
    # "import") are code the program did not ask for and can cost tens of ms per process; their
    # directories and path lines are added, so installed packages (numpy, ...) import as usual.
    import site
    for directory in site.getsitepackages() + [site.getusersitepackages()]:
        if not os.path.isdir(directory) or directory in sys.path:
            continue
        sys.path.append(directory)
        for name in sorted(os.listdir(directory)):
            if name.endswith(".pth"):
                add_pth_paths(directory, name)

def add_pth_paths(directory, name):
    try:
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return
    for line in lines:
        line = line.strip()
        if line and not line.startswith(("#", "import ", "import\t")):
            path = os.path.join(directory, line)
            if os.path.isdir(path) and path not in sys.path:
                sys.path.append(path)

def main():
    add_site_packages()
    stdin = os.fdopen(os.dup(0), "rb")
    job = json.loads(stdin.readline())
    result = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)

    def reply(message):
        result.write(encode_message(message))
        result.flush()

    apply_limits(job["limits"])
    signal.signal(signal.SIGALRM, _on_alarm)
    disable_destructive_functions(job["workdir"])
    if job["kind"] == "serve":
        reply(["hello"])  # before any untrusted code: a sandbox that dies earlier is a harness fault
        serve(job, stdin, reply)
    else:
        run_oracle(job, lambda record: reply(record))
        reply({"done": True})
    result.close()
    os._exit(0)

main()
`;

export const SANDBOX_SOURCE = [GUARD_SOURCE, CODEC_SOURCE, MBPP_INPUT_CONVERSIONS_SOURCE, SANDBOX_MAIN].join('\n');

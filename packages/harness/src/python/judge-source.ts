// The trusted side of every check: a Python process that runs only codistill's code and the
// benchmark's own (prompt helpers, test snippets, expected outputs). It drives the sandboxed program
// through requests (call this function with these arguments), gets back plain data (codec-source.ts)
// and decides the verdict itself. The untrusted process never sees a test or an expected output, so
// it cannot return them, patch `check`, trace the tests, or write a verdict of its own.
//
// fd 4: the JSON job from Node; stdin: the sandbox's replies; stdout: requests to the sandbox;
// fd 3: verdict records for Node, one JSON object per line, ending with {"done": true}.
import { CODEC_SOURCE } from './codec-source.js';
import { MBPP_INPUT_CONVERSIONS_SOURCE } from './mbpp-inputs-source.js';

const JUDGE_MAIN = String.raw`
# Imports that only some checks need are made where they are used: every check starts a judge.
import builtins, json, math, os, signal, sys

class SandboxGone(Exception):
    pass

class RemoteError(Exception):
    # An exception the sandboxed code raised, for exception types that are not built in.
    pass

def remote_exception(name, message):
    # Built-in exception types are re-raised as themselves, so tests expecting e.g. ValueError still work.
    kind = getattr(builtins, name, None)
    if isinstance(kind, type) and issubclass(kind, Exception) and kind is not AssertionError:
        return kind(message)
    return RemoteError(name + (": " + message if message else ""))

class Overran(InputTimeout):
    # The sandbox is still busy with a call the judge stopped waiting for: its replies no longer match.
    pass

class Sandbox:
    def __init__(self, requests, replies, max_message_bytes):
        self.requests, self.replies, self.max = requests, replies, max_message_bytes
        self.overran = False

    def ask(self, message, deadline=None):
        # deadline: the judge's own limit on the wait, which the sandboxed program cannot disarm.
        if self.overran:
            raise Overran("the program ran past a time limit on an earlier input and was not stopped")
        self.requests.write(encode_message(message))
        self.requests.flush()
        if deadline:
            set_alarm(deadline)
        try:
            line = self.replies.readline(self.max + 1)
        except InputTimeout:
            self.overran = True
            raise
        finally:
            if deadline:
                set_alarm(0)
        if not line:
            raise SandboxGone("the sandboxed process exited")
        if len(line) > self.max or not line.endswith(b"\n"):
            raise ProtocolError("reply longer than %d bytes" % self.max)
        reply = decode_message(line, lambda body: Remote(_ref_id(body), _ref_kind(body)))
        if reply[0] == "raise" and len(reply) == 4:
            if reply[3] == "timeout":
                raise InputTimeout()
            raise remote_exception(str(reply[1]), str(reply[2]))
        return reply

    def handshake(self):
        line = self.replies.readline(1024)
        return line == encode_message(["hello"])

    def load(self):
        reply = self.ask(["load"])
        if reply[0] != "ready" or len(reply) != 2 or type(reply[1]) is not list:
            raise ProtocolError("expected the program's globals")
        return {str(item[0]): (str(item[1]), str(item[2])) for item in reply[1] if type(item) is list and len(item) == 3}

    def call(self, target, args, seconds=None):
        return self.value(self.ask(["call", target, args, seconds, False]))

    def call_for_digest(self, target, args, seconds):
        # The sandbox's alarm stops the call at its limit; a program that disarms it is stopped here, with
        # room for the digest of a large output (pickled and hashed after the call returns).
        reply = self.ask(["call", target, args, seconds, True], deadline=2 * seconds + 1)
        if reply[0] != "digest" or len(reply) != 2 or (reply[1] is not None and type(reply[1]) is not str):
            raise ProtocolError("expected a digest")
        return reply[1]

    def fetch(self, seconds):
        # The value, and the name of its own type (EvalPlus compares types where it allows a tolerance).
        # Encoding it may run program code (numpy's item()), so the judge's deadline covers it too.
        reply = self.ask(["fetch"], deadline=2 * seconds + 1)
        if reply[0] != "value" or len(reply) != 3 or type(reply[2]) is not str:
            raise ProtocolError("expected a value and its type")
        return reply[1], reply[2]

    def get(self, name):
        return self.value(self.ask(["get", name]))

    def value(self, reply):
        if reply[0] != "value" or len(reply) != 2:
            raise ProtocolError("expected a value")
        return reply[1]

def _ref_id(body):
    if type(body) is not list or len(body) != 2 or type(body[0]) is not int:
        raise ProtocolError("bad reference")
    return body[0]

def _ref_kind(body):
    return str(body[1])[:100]

def encode_args(args):
    # Arguments are trusted data (benchmark inputs), possibly holding handles the sandbox gave out earlier.
    return [encode_value(a, _no_refs) for a in args]

class _NoRefs(list):
    def append(self, value):
        raise TypeError("cannot send a " + type(value).__name__ + " to the sandbox")

_no_refs = _NoRefs()

class RemoteFunction:
    # Stands in the test namespace for a function of the program; calling it runs it in the sandbox.
    def __init__(self, sandbox, name):
        self.sandbox, self.name, self.__name__ = sandbox, name, name

    def __call__(self, *args, **kwargs):
        if kwargs:
            raise TypeError("keyword arguments are not supported by the harness")
        return self.sandbox.call(self.name, encode_args(args))

    def __repr__(self):
        return "<function " + self.name + " in the sandbox>"

# Modules a test may name that the judge imports itself (never the program's module objects).
UNSAFE_MODULES = {"antigravity", "this", "webbrowser", "turtle", "tkinter", "idlelib", "pydoc"}

def referenced_names(code):
    names = set(code.co_names) | set(code.co_varnames)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= referenced_names(const)
    return names

def trusted_imports(source):
    # The import statements of trusted setup code (MBPP's test_setup_code); the rest needs the program.
    if not source or "import" not in source:
        return ""
    import ast
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom)))

def trusted_prompt(prompt):
    # The task's prompt defines the helpers its tests use (HumanEval/38's encode_cyclic); it ends in the
    # entry point's signature and docstring, which need a body to compile on their own.
    for candidate in (prompt, prompt.rstrip() + "\n    pass\n"):
        try:
            compile(candidate, "<prompt>", "exec")
            return candidate
        except SyntaxError:
            pass
    return ""

def bind_program(namespace, sandbox, program, names, entry_point):
    # Each name the tests use that the program defines gets a stand-in; built-ins and what the trusted
    # prompt defines stay the judge's own, so a program cannot replace them.
    for name in names:
        if name not in program:
            continue
        kind, module = program[name]
        own = name in namespace or hasattr(builtins, name)
        if own and name != entry_point:
            continue
        if kind == "callable":
            namespace[name] = RemoteFunction(sandbox, name)
        elif kind == "module":
            if module in sys.stdlib_module_names and module not in UNSAFE_MODULES:
                namespace[name] = __import__(module)
                for part in module.split(".")[1:]:
                    namespace[name] = getattr(namespace[name], part)
        else:
            namespace[name] = sandbox.get(name)

def test_line(exc, sources):
    # The innermost frame that belongs to a test snippet names the failing assertion.
    import traceback
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<test "):
            index = int(frame.filename[6:-1])
            lines = sources[index].splitlines()
            if 0 < frame.lineno <= len(lines):
                return index, lines[frame.lineno - 1].strip()[:500]
            return index, None
    return None, None

def classify(exc):
    return "failed" if isinstance(exc, AssertionError) else error_status(exc)

def load_program(sandbox, phase, emit):
    try:
        return sandbox.load()
    except BaseException as exc:
        emit({"phase": phase, "status": error_status(exc), "message": "program: " + describe(exc)})
        return None

def judge_script(job, sandbox, emit):
    # human-eval style: the tests run here, in a namespace made of the trusted prompt and stand-ins for
    # the program's functions. The time limit applies to each snippet (MBPP tasks carry several asserts).
    program = load_program(sandbox, "script", emit)
    if program is None:
        return
    namespace = {}
    tests = job["tests"]
    compiled = [compile(source, "<test %d>" % index, "exec") for index, source in enumerate(tests)]
    try:
        exec(compile(trusted_prompt(job["prompt"]) + "\n" + trusted_imports(job["setupCode"]), "<prompt>", "exec"), namespace)
    except BaseException as exc:
        return emit({"phase": "script", "status": "error", "message": "task prompt: " + describe(exc)})
    names = set().union(*(referenced_names(code) for code in compiled)) | {job["entryPoint"]}
    for index, code in enumerate(compiled):
        set_alarm(job["timeoutSeconds"])
        try:
            if index == 0:
                bind_program(namespace, sandbox, program, sorted(names), job["entryPoint"])
            exec(code, namespace)
            set_alarm(0)
        except (SandboxGone, ProtocolError) as exc:
            set_alarm(0)
            return emit({"phase": "script", "status": "error", "message": describe(exc), "testIndex": index})
        except BaseException as exc:
            set_alarm(0)
            failed_index, line = test_line(exc, tests)
            record = {"phase": "script", "status": classify(exc), "message": describe(exc),
                      "testIndex": index if failed_index is None else failed_index}
            if line:
                record["test"] = line
            return emit(record)
    emit({"phase": "script", "status": "passed"})

def import_numpy():
    # The judge starts with -S (site-packages' .pth hooks can cost tens of ms per process), so numpy
    # is looked for in the site directories without running those hooks, and only when needed.
    try:
        import numpy
        return numpy
    except ImportError:
        import site
        sys.path.extend(p for p in site.getsitepackages() + [site.getusersitepackages()] if p not in sys.path)
    try:
        import numpy
        return numpy
    except ImportError:
        return None

def all_close(out, expected, atol):
    # Same rule as numpy.allclose with rtol 1e-7 (what EvalPlus calls); without numpy, the same rule by hand.
    numpy = import_numpy()
    if numpy is not None:
        return bool(numpy.allclose(out, expected, rtol=1e-07, atol=atol))
    if isinstance(expected, (list, tuple)):
        return len(out) == len(expected) and all(all_close(a, b, atol) for a, b in zip(out, expected))
    return abs(out - expected) <= atol + 1e-07 * abs(expected)

def same_shape(out, expected):
    # numpy.allclose broadcasts, so [[]] is close to any one-float list (EvalPlus passes it, checking
    # only the outer length): here an output must have the expected's nesting and lengths throughout.
    if isinstance(expected, (list, tuple)):
        return isinstance(out, (list, tuple)) and len(out) == len(expected) and all(same_shape(a, b) for a, b in zip(out, expected))
    return not isinstance(out, (list, tuple))

def poly(coefficients, x):
    return sum(c * math.pow(x, i) for i, c in enumerate(coefficients))

def surface_area(base_edge, height):
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 2 * base_edge * slant)

def digit_distance(a, b):
    left, right = str(a), str(b)
    width = max(len(left), len(right))
    return sum(abs(int(x) - int(y)) for x, y in zip(left.zfill(width), right.zfill(width)))

SET_EQUAL = {"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
             "larg_nnum", "intersection_array", "find_dissimilar", "Diff"}
NOT_NONE = {"check_str", "text_match_three", "text_starta_endb"}

def special_match(dataset, entry, args, out, expected, exact, atol):
    # Task-specific oracles for tasks whose reference output is not the only right answer.
    if dataset == "mbpp":
        if entry == "are_equivalent":
            return True
        if entry == "sum_div":
            return exact or out == 0
        if entry == "surface_Area":
            return exact or abs(out - surface_area(*args)) <= atol
        if entry == "digit_distance_nums":
            return exact or out == digit_distance(*args)
        if entry in SET_EQUAL:
            return set(out) == set(expected)
        if entry in NOT_NONE:
            return out == expected if isinstance(out, bool) else expected == (out is not None)
    return exact

def note_floats(state, floats):
    if state["atol"] == 0 and floats:
        state["atol"] = 1e-6  # EvalPlus keeps this for the rest of the phase

def outputs_match(job, state, args, out, out_type, expected):
    dataset, entry = job["dataset"], job["entryPoint"]
    if dataset == "humaneval" and entry == "find_zero":
        return abs(poly(*args, out)) <= state["atol"]
    exact = out == expected
    exact = special_match(dataset, entry, args, out, expected, exact, state["atol"])
    note_floats(state, is_floats(expected))
    if not exact and state["atol"] != 0:
        # EvalPlus' type(out) == type(exp): the exact type as the sandbox reports it (numpy.float64
        # travels as a float), and the decoded value's own, which no program code can misreport.
        if out_type != type_name(expected) or type(out) is not base_type(expected):
            return False
        if not same_shape(out, expected):
            return False
        return all_close(out, expected, state["atol"])
    return bool(exact)

class Expected:
    # The canonical outputs, read from their pickle only when an output does not match by digest.
    def __init__(self, phase):
        self.file, self.values = phase["expectedFile"], None

    def __getitem__(self, index):
        if self.values is None:
            import pickle
            with open(self.file, "rb") as handle:
                self.values = pickle.load(handle)
        return self.values[index]

def judge_io_phase(job, phase, sandbox, emit):
    # EvalPlus style: the program is loaded afresh, called on each input here, its outputs compared here.
    inputs = phase_inputs(job, phase)
    expected = Expected(phase)
    program = load_program(sandbox, phase["name"], emit)
    if program is None:
        return
    entry = job["entryPoint"]
    if program.get(entry, ("",))[0] != "callable":
        return emit({"phase": phase["name"], "status": "error", "message": "program: NameError: name '%s' is not defined" % entry})
    state = {"atol": job["atol"]}
    by_digest = not (job["dataset"] == "humaneval" and entry == "find_zero")  # find_zero accepts any root
    for index, args in enumerate(inputs):
        out = None
        try:
            digest = sandbox.call_for_digest(entry, encode_args(args), phase["timeLimits"][index])
            if by_digest and digest is not None and digest == phase["digests"][index]:
                note_floats(state, phase["floats"][index])
                continue
            out, out_type = sandbox.fetch(phase["timeLimits"][index])
            ok = outputs_match(job, state, args, out, out_type, expected[index])
        except BaseException as exc:
            return emit({"phase": phase["name"], "status": error_status(exc), "message": describe(exc), "testIndex": index})
        if not ok:
            return emit({"phase": phase["name"], "status": "failed", "testIndex": index,
                         "message": "wrong output: " + repr(out)[:300]})
    emit({"phase": phase["name"], "status": "passed"})

def main():
    with os.fdopen(4, "rb") as jobs:
        job = json.loads(jobs.read())
    replies = os.fdopen(0, "rb")
    verdicts = os.fdopen(3, "w")
    requests = os.fdopen(1, "wb")

    def emit(record):
        verdicts.write(json.dumps(record) + "\n")
        verdicts.flush()

    import resource
    memory = job["memoryBytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    signal.signal(signal.SIGALRM, _on_alarm)
    sandbox = Sandbox(requests, replies, job["maxMessageBytes"])
    if not sandbox.handshake():
        emit({"infra": "the sandbox did not start (run with CODISTILL_HARNESS_DEBUG=1 to see its errors)"})
    elif job["kind"] == "script":
        judge_script(job, sandbox, emit)
    else:
        for phase in job["phases"]:
            judge_io_phase(job, phase, sandbox, emit)
    emit({"done": True})
    verdicts.close()
    os._exit(0)

main()
`;

export const JUDGE_SOURCE = [CODEC_SOURCE, MBPP_INPUT_CONVERSIONS_SOURCE, JUDGE_MAIN].join('\n');

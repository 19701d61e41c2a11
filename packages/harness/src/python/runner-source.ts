// The Python program that runs inside every sandboxed process. It is passed with `python -I -B -c`
// and reads one JSON job on stdin. Kept as a string (not a .py asset) so the published bundle needs
// no file lookup. It must not contain backticks or dollar-brace sequences.
import { MBPP_INPUT_CONVERSIONS_SOURCE } from './mbpp-inputs-source.js';
import { GUARD_SOURCE } from './guard-source.js';

const RUNNER_MAIN = String.raw`
import builtins, copy, json, math, os, pickle, signal, sys, time, traceback

class InputTimeout(BaseException):
    pass

def _on_alarm(signum, frame):
    raise InputTimeout()

def set_alarm(seconds):
    signal.setitimer(signal.ITIMER_REAL, seconds)

def describe(exc):
    text = str(exc)
    return type(exc).__name__ + (": " + text[:500] if text else "")

def test_line(exc, sources):
    # The innermost frame that belongs to a test snippet names the failing assertion.
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<test "):
            index = int(frame.filename[6:-1])
            lines = sources[index].splitlines()
            if 0 < frame.lineno <= len(lines):
                return index, lines[frame.lineno - 1].strip()[:500]
            return index, None
    return None, None

def classify(exc):
    if isinstance(exc, InputTimeout):
        return "timeout"
    if isinstance(exc, AssertionError):
        return "failed"
    return "error"

def run_script(job, emit):
    # human-eval style: the program, then each test snippet, all in one namespace. The time limit
    # applies to the program and to each snippet separately (MBPP tasks carry several asserts).
    namespace = {}
    tests = job["tests"]
    set_alarm(job["timeoutSeconds"])
    try:
        exec(compile(job["code"], "<solution>", "exec"), namespace)
    except BaseException as exc:
        set_alarm(0)
        status = "timeout" if isinstance(exc, InputTimeout) else "error"
        return emit({"phase": "script", "status": status, "message": "program: " + describe(exc)})
    for index, source in enumerate(tests):
        set_alarm(job["timeoutSeconds"])
        try:
            exec(compile(source, "<test %d>" % index, "exec"), namespace)
        except BaseException as exc:
            set_alarm(0)
            failed_index, line = test_line(exc, tests)
            record = {"phase": "script", "status": classify(exc), "message": describe(exc),
                      "testIndex": index if failed_index is None else failed_index}
            if line:
                record["test"] = line
            return emit(record)
    set_alarm(0)
    emit({"phase": "script", "status": "passed"})

def is_floats(value):
    if isinstance(value, float):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(isinstance(item, float) for item in value)
    numpy = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return value.dtype in (numpy.float64, numpy.float32)
    return False

def all_close(out, expected, atol):
    # Same rule as numpy.allclose with rtol 1e-7 (what EvalPlus calls), without needing numpy.
    try:
        import numpy
        return bool(numpy.allclose(out, expected, rtol=1e-07, atol=atol))
    except ImportError:
        pass
    if isinstance(expected, (list, tuple)):
        return len(out) == len(expected) and all(all_close(a, b, atol) for a, b in zip(out, expected))
    return abs(out - expected) <= atol + 1e-07 * abs(expected)

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

def outputs_match(job, state, args, out, expected):
    dataset, entry = job["dataset"], job["entryPoint"]
    if dataset == "humaneval" and entry == "find_zero":
        return abs(poly(*args, out)) <= state["atol"]
    exact = out == expected
    exact = special_match(dataset, entry, args, out, expected, exact, state["atol"])
    if state["atol"] == 0 and is_floats(expected):
        state["atol"] = 1e-6  # EvalPlus keeps this for the rest of the phase
    if not exact and state["atol"] != 0:
        if type(out) != type(expected):
            return False
        if isinstance(expected, (list, tuple)) and len(out) != len(expected):
            return False
        return all_close(out, expected, state["atol"])
    return bool(exact)

def load_function(job):
    namespace = {}
    exec(compile(job["code"], "<solution>", "exec"), namespace)
    return namespace[job["entryPoint"]]

def run_io_phase(job, phase, emit):
    inputs = phase_inputs(job, phase)
    with open(phase["expectedFile"], "rb") as handle:
        expected = pickle.load(handle)
    limits = phase["timeLimits"]
    state = {"atol": job["atol"]}
    try:
        set_alarm(job["loadSeconds"])
        function = load_function(job)
        set_alarm(0)
    except BaseException as exc:
        set_alarm(0)
        status = "timeout" if isinstance(exc, InputTimeout) else "error"
        return emit({"phase": phase["name"], "status": status, "message": "program: " + describe(exc)})
    for index, args in enumerate(inputs):
        try:
            set_alarm(limits[index])
            out = function(*copy.deepcopy(args))
            set_alarm(0)
            ok = outputs_match(job, state, args, out, expected[index])
        except BaseException as exc:
            set_alarm(0)
            status = "timeout" if isinstance(exc, InputTimeout) else "error"
            return emit({"phase": phase["name"], "status": status, "message": describe(exc), "testIndex": index})
        if not ok:
            return emit({"phase": phase["name"], "status": "failed", "testIndex": index,
                         "message": "wrong output: " + repr(out)[:300]})
    emit({"phase": phase["name"], "status": "passed"})

def run_oracle(job, emit):
    # Expected outputs come from the canonical solution, as EvalPlus computes its ground truth.
    try:
        function = load_function(job)
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
        emit({"phase": phase["name"], "expectedFile": phase["name"] + ".pkl", "times": times})

def main():
    job = json.loads(sys.stdin.buffer.read())
    result = os.fdopen(os.dup(1), "w")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    def emit(record):
        result.write(json.dumps(record) + "\n")
        result.flush()
    apply_limits(job["limits"])
    signal.signal(signal.SIGALRM, _on_alarm)
    disable_destructive_functions(job["workdir"])
    if job["kind"] == "script":
        run_script(job, emit)
    elif job["kind"] == "io":
        for phase in job["phases"]:
            run_io_phase(job, phase, emit)
    else:
        run_oracle(job, emit)
    emit({"done": True})
    result.close()
    os._exit(0)

main()
`;

export const RUNNER_SOURCE = [GUARD_SOURCE, MBPP_INPUT_CONVERSIONS_SOURCE, RUNNER_MAIN].join('\n');

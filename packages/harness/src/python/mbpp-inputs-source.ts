// MBPP+ stores inputs as JSON, which has no tuples, sets or complex numbers. EvalPlus restores
// the Python types per task before calling the function (evalplus/data/mbpp.py,
// mbpp_deserialize_inputs); this table encodes the same per-task decisions.
export const MBPP_INPUT_CONVERSIONS_SOURCE = String.raw`
def _tuples(items):
    return [tuple(item) for item in items]

def _deep_tuple(value):
    return tuple(_deep_tuple(item) for item in value) if isinstance(value, list) else value

_ARGS_TO_TUPLES = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616,
                   630, 726, 740, 744, 809}
_NESTED_TO_TUPLES = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
_FIRST_NESTED_TO_TUPLES = {75, 413, 444, 753}
_SECOND_TO_TUPLE = {106, 750}
_FIRST_TO_TUPLE = {250, 405, 446, 617, 720, 763, 808}
_NESTED_THEN_ARGS = {259, 401, 445}
_ALL_TUPLES = {580, 615, 791}

def _convert_mbpp(number, args):
    if number in _ARGS_TO_TUPLES:
        return _tuples(args)
    if number in _NESTED_TO_TUPLES:
        return [_tuples(arg) for arg in args]
    if number in _FIRST_NESTED_TO_TUPLES:
        return [_tuples(args[0]), args[1]]
    if number in _SECOND_TO_TUPLE:
        return [args[0], tuple(args[1])]
    if number == 115:
        return [[set(item) if isinstance(item, list) and item else {} for item in args[0]]]
    if number == 124:
        return (float(args[0]), complex(args[1]))
    if number in _FIRST_TO_TUPLE:
        return [tuple(args[0]), args[1]]
    if number in _NESTED_THEN_ARGS:
        return _tuples([_tuples(arg) for arg in args])
    if number == 278:
        return _tuples([[tuple(item) if isinstance(item, list) else item for item in args[0]]])
    if number == 307:
        return [tuple(args[0]), args[1], args[2]]
    if number == 722:
        return [{key: tuple(value) for key, value in args[0].items()}] + args[1:]
    if number == 252:
        return [complex(args[0])]
    if number in _ALL_TUPLES:
        return _deep_tuple(args)
    return args

def phase_inputs(job, phase):
    # Inputs come from the benchmark row's original JSON text, so 1.0 stays a float and big ints stay exact.
    inputs = json.loads(job["rowJson"])[phase["field"]]
    return convert_inputs(job, inputs if isinstance(inputs, list) else [])

def convert_inputs(job, inputs):
    if job["dataset"] != "mbpp":
        return inputs
    number = int(str(job["taskId"]).split("/")[-1])
    return [_convert_mbpp(number, args) for args in inputs]
`;

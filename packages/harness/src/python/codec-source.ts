// Python shared by the sandbox program and the judge: time limits, exception text, output digests, and the only format
// in which values cross from the untrusted process to the trusted one. That format is JSON with a few
// tagged objects, decoded into plain built-in values (no pickle, no classes of the untrusted code): what
// the judge compares is data, so a returned object's own __eq__/__hash__ can never decide a verdict.
// Objects that are not plain data (instances of the solution's classes, numpy arrays, generators) stay
// in the sandbox and travel as {"ref": n} handles, which equal nothing in the judge.
export const CODEC_SOURCE = String.raw`
import json as _json, signal as _signal, sys as _sys

if hasattr(_sys, "set_int_max_str_digits"):
    _sys.set_int_max_str_digits(0)  # outputs such as big Fibonacci numbers are compared exactly (3.10.7+ limits them)

class InputTimeout(BaseException):
    pass

def _on_alarm(signum, frame):
    raise InputTimeout()

def set_alarm(seconds):
    _signal.setitimer(_signal.ITIMER_REAL, seconds or 0)

def error_status(exc):
    # A run that raised: out of time, or any other error.
    return "timeout" if isinstance(exc, InputTimeout) else "error"

def describe(exc):
    text = str(exc)
    return type(exc).__name__ + (": " + text[:500] if text else "")

def is_floats(value):
    if isinstance(value, float):
        return True
    if isinstance(value, (list, tuple)) and value:
        return all(isinstance(item, float) for item in value)
    numpy = _sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        return value.dtype in (numpy.float64, numpy.float32)
    return False

def output_digest(value):
    # sha256 of the value's pickle: equal bytes rebuild equal plain data, so a right answer need not
    # cross the pipe (Mbpp/255's outputs are hundreds of MB; pickle is linear, even for huge ints).
    # Computed by the sandbox for its own output it proves nothing unless it equals the expected
    # output's digest, which only the judge holds, and matching that takes the right answer. None where
    # the value cannot be pickled (the judge then compares the value itself).
    import hashlib, pickle
    try:
        return hashlib.sha256(pickle.dumps(value, protocol=4)).hexdigest()
    except Exception:
        return None

def expected_digest(value):
    # No digest for an expected output that is not equal to its own copy (NaN inside): EvalPlus fails
    # such a comparison, and equal bytes would pass it.
    import pickle
    try:
        return output_digest(value) if pickle.loads(pickle.dumps(value, protocol=4)) == value else None
    except Exception:
        return None

# The built-in types as this module found them, before any program code ran.
_BUILT_IN = {kind: "builtins." + kind.__qualname__ for kind in (bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset, type(None))}

def base_type(value):
    # The built-in type a value travels as (numpy.float64 as float): the type its decoded copy has.
    return next((kind for kind in type(value).__mro__ if kind in _BUILT_IN), None)

def type_name(value):
    # The exact type, which the built-in base type a value travels as does not keep (numpy.float64, a
    # subclass). A class of the program's own that says it is a built-in (class float(float)) is not one.
    kind = type(value)
    if kind in _BUILT_IN:
        return _BUILT_IN[kind]
    module = str(kind.__module__)
    return ("program:" if module == "builtins" else module + ".") + str(kind.__qualname__)

class ProtocolError(Exception):
    pass

class Remote:
    # An object left in the sandbox. Equality is identity, so it never matches an expected value.
    __slots__ = ("ref", "kind")

    def __init__(self, ref, kind):
        self.ref = ref
        self.kind = kind

    def __repr__(self):
        return "<" + self.kind + " object in the sandbox>"

_TAGS = {"int", "tuple", "set", "frozenset", "dict", "complex", "bytes", "ref"}
_SMALL_INT = 2 ** 62

def encode_value(value, refs):
    # Plain data by its built-in base type (namedtuple -> tuple, Counter -> dict, numpy scalar -> item);
    # anything else becomes a handle kept in refs.
    if value is None or value is True or value is False:
        return value
    if isinstance(value, int):
        value = int.__int__(value)  # the stored value: a subclass's own __int__ is program code
        # Decimal text of a huge int takes quadratic time (HumanEval/83 returns 10**n); hex is linear.
        return value if -_SMALL_INT < value < _SMALL_INT else {"int": format(value, "x")}
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, list):
        return [encode_value(item, refs) for item in list.__iter__(value)]
    if isinstance(value, tuple):
        return {"tuple": [encode_value(item, refs) for item in tuple.__iter__(value)]}
    if isinstance(value, dict):
        return {"dict": [[encode_value(k, refs), encode_value(v, refs)] for k, v in dict.items(value)]}
    if isinstance(value, frozenset):
        return {"frozenset": [encode_value(item, refs) for item in frozenset.__iter__(value)]}
    if isinstance(value, set):
        return {"set": [encode_value(item, refs) for item in set.__iter__(value)]}
    if isinstance(value, complex):
        return {"complex": [complex.__getattribute__(value, "real"), complex.__getattribute__(value, "imag")]}
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, Remote):
        return {"ref": [value.ref, value.kind]}  # a handle the judge got earlier, going back
    module = type(value).__module__
    if module == "numpy" and getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        return encode_value(value.item(), refs)
    refs.append(value)
    return {"ref": [len(refs) - 1, type(value).__name__[:100]]}

def _decode_object(pairs, resolve):
    if len(pairs) != 1 or pairs[0][0] not in _TAGS:
        raise ProtocolError("unknown tagged value " + repr([k for k, _ in pairs])[:100])
    tag, body = pairs[0]
    try:
        if tag == "ref":
            return resolve(body)
        if tag == "int":
            if type(body) is not str:
                raise ProtocolError("expected hex digits")
            return int(body, 16)
        if tag == "tuple":
            return tuple(_list(body))
        if tag == "set":
            return set(_list(body))
        if tag == "frozenset":
            return frozenset(_list(body))
        if tag == "dict":
            return dict((k, v) for k, v in (_pair(item) for item in _list(body)))
        if tag == "complex":
            real, imag = _pair(body)
            return complex(_number(real), _number(imag))
        return bytes.fromhex(body)
    except ProtocolError:
        raise
    except Exception as exc:
        raise ProtocolError("bad " + tag + " value: " + type(exc).__name__) from None

def _list(body):
    if type(body) is not list:
        raise ProtocolError("expected a list")
    return body

def _pair(body):
    if type(body) is not list or len(body) != 2:
        raise ProtocolError("expected a pair")
    return body

def _number(value):
    if type(value) not in (int, float):
        raise ProtocolError("expected a number")
    return value

def decode_message(line, resolve):
    # A message is a JSON array whose values use the tags above; resolve(body) turns a ref into an object.
    try:
        message = _json.loads(line, object_pairs_hook=lambda pairs: _decode_object(pairs, resolve))
    except ProtocolError:
        raise
    except Exception as exc:
        raise ProtocolError("malformed message: " + type(exc).__name__ + ": " + str(exc)[:200]) from None
    if type(message) is not list or not message or type(message[0]) is not str:
        raise ProtocolError("malformed message")
    return message

def encode_message(message):
    # ASCII escapes keep lone surrogates exact and the bytes valid UTF-8.
    return (_json.dumps(message) + "\n").encode("ascii")
`;

"""Python values as plain data and back, for suites that compare what a solution returns with `==`.

The wire (protocol.py) carries JSON-like data, where a tuple arrives as a list and `(1, 2) != [1, 2]`. Suites
written for a solution imported in their own process (Exercism's, unittest's) compare exact types, so what a
solution returns crosses tagged, and comes back as the same builtin type:

    encode(("a", {1: {2, 3}}))  -> {"$py": "tuple", "v": ["a", {"$py": "dict", "v": [[1, {"$py": "set", ...}]]}]}
    decode(encode(value)) == value, and type(decode(encode(value))) is type(value) for builtin types

Only builtin data crosses: None, bool, int, float, complex, str, bytes, list, tuple, set, frozenset, dict (any
encodable keys). A subclass crosses as its builtin base (a namedtuple as a tuple, an IntEnum as an int): its value,
never its behaviour. Anything else raises `NotData` with the type's name. Both sides use this module; it imports
only the standard library.
"""

from __future__ import annotations

import math
import re

TAG = "$py"
MAX_DEPTH = 30
CONTAINERS = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}
BIG_INT = 10**4000  # an int this large crosses as hex text
_HEX = re.compile(r"-?[0-9a-f]{1,2000000}")


class NotData(TypeError):
    """A value that is an object, not data: it cannot cross to the other process."""

    def __init__(self, type_name: str) -> None:
        super().__init__(f"a {type_name} is an object, not data")
        self.type_name = type_name


def encode(value: object, depth: int = 0) -> object:
    if depth > MAX_DEPTH:
        raise NotData("value nested too deeply")
    if type(value) is int and abs(value) >= BIG_INT:  # as hex: Python caps decimal text at 4300 digits
        return {TAG: "int", "v": format(value, "x")}
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {TAG: "float", "v": repr(value)}
    for name, kind in CONTAINERS.items():
        if type(value) is kind:
            return {TAG: name, "v": [encode(item, depth + 1) for item in value]}
    if type(value) is dict:
        return {TAG: "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    if type(value) is bytes:
        return {TAG: "bytes", "v": value.decode("latin-1")}
    if type(value) is complex:
        return {TAG: "complex", "v": [encode(value.real), encode(value.imag)]}
    for base, stored in STORED.items():
        if isinstance(value, base):  # a subclass: the value it holds, read with the builtin's own methods
            return encode(stored(value), depth)
    raise NotData(type(value).__name__)


# A subclass's stored value, never what its overrides say (`int(x)` would call its own __int__, `tuple(x)` its
# own __iter__): the builtin type's methods, called on it directly.
STORED = {
    int: int.__int__,
    float: float.__float__,
    str: str.__str__,
    bytes: lambda v: bytes.__getitem__(v, slice(None)),
    complex: complex.__complex__,
    tuple: lambda v: tuple.__getitem__(v, slice(None)),
    list: lambda v: list.__getitem__(v, slice(None)),
    frozenset: lambda v: frozenset(frozenset.__iter__(v)),
    set: lambda v: set(set.__iter__(v)),
    dict: lambda v: dict(dict.items(v)),
}


def decode(data: object, depth: int = 0) -> object:
    """The value `encode` made; ValueError for anything `encode` cannot have made."""
    if depth > MAX_DEPTH:
        raise ValueError("value nested too deeply")
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is float:
        if not math.isfinite(data):
            raise ValueError("a non-finite float outside its tag")
        return data
    if type(data) is not dict or set(data) != {TAG, "v"}:
        raise ValueError(f"not an encoded value: {type(data).__name__}")
    tag, inner = data[TAG], data["v"]
    if tag in CONTAINERS and type(inner) is list:
        items = [decode(item, depth + 1) for item in inner]
        return CONTAINERS[tag](items)
    if tag == "dict" and type(inner) is list and all(type(p) is list and len(p) == 2 for p in inner):
        return {decode(k, depth + 1): decode(v, depth + 1) for k, v in inner}
    if tag == "int" and type(inner) is str and _HEX.fullmatch(inner):
        return int(inner, 16)  # linear in its length, unlike decimal
    if tag == "float" and inner in ("nan", "inf", "-inf"):
        return float(inner)
    if tag == "bytes" and type(inner) is str:
        return inner.encode("latin-1")
    if tag == "complex" and type(inner) is list and len(inner) == 2:
        real, imag = (decode(part, depth + 1) for part in inner)
        return complex(real, imag)
    raise ValueError(f"not an encoded value: tag {tag!r}")

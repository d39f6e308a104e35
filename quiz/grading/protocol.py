"""The wire format between a suite (trusted) and the submission's process (untrusted): plain data only.

A message is one frame: an 8-byte big-endian length, then a 4-byte header length, the header (UTF-8 JSON), and the
bodies of the numpy arrays the header refers to, in order, each in `.npy` form. Only these cross:

    None, bool, int, float, str, list, dict with str keys      as JSON
    numpy arrays of numbers or booleans                        {"$array": index} -> bodies[index], .npy
    handles to objects that stay in the submission's process   {"$handle": id, "type": "ClassName"}

Nothing is ever unpickled: arrays are loaded with `allow_pickle=False` and must have a numeric or boolean dtype.
`decode` checks every frame against size, depth and type limits and raises `ProtocolViolation` for anything else,
so what the untrusted side sends is either plain data or a one-line reason to give the submission an error.
This module imports only the standard library and numpy: both sides use it.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
from dataclasses import dataclass

import numpy as np

MAX_FRAME_BYTES = 256 * 2**20  # a few training sets of digits; a frame over this is a violation
MAX_HEADER_BYTES = 8 * 2**20
MAX_ARRAYS = 256
MAX_DEPTH = 32
MAX_STRING = 1_000_000
MAX_ITEMS = 1_000_000  # list items and dict entries in one frame
ARRAY_KINDS = "biuf"  # bool, signed, unsigned, float: never object, string, void or datetime


class ProtocolViolation(Exception):
    """What the other side sent is not a well-formed message of this protocol (its text says why)."""


@dataclass(frozen=True)
class Handle:
    """An object that lives in the submission's process: its id there and its class name (for messages)."""

    id: int
    type: str


def encode(message: object) -> bytes:
    """One frame holding `message` (plain data, numpy arrays and Handles)."""
    bodies: list[bytes] = []

    def plain(value: object, depth: int = 0) -> object:
        if depth > MAX_DEPTH:
            raise ValueError("message nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)):
            return value
        if isinstance(value, Handle):
            return {"$handle": value.id, "type": value.type}
        if isinstance(value, np.ndarray):
            buffer = io.BytesIO()
            np.save(buffer, value if value.flags.c_contiguous else np.ascontiguousarray(value), allow_pickle=False)
            bodies.append(buffer.getvalue())
            return {"$array": len(bodies) - 1}
        if isinstance(value, (list, tuple)):
            return [plain(item, depth + 1) for item in value]
        if isinstance(value, dict):
            return {str(key): plain(item, depth + 1) for key, item in value.items()}
        raise TypeError(f"cannot send a {type(value).__name__}")

    header = json.dumps({"body": plain(message), "arrays": [len(body) for body in bodies]}).encode()
    payload = struct.pack(">I", len(header)) + header + b"".join(bodies)
    return struct.pack(">Q", len(payload)) + payload


def decode(payload: bytes) -> object:
    """The message in one frame's payload (everything after the 8-byte length), checked."""
    if len(payload) < 4:
        raise ProtocolViolation("a frame shorter than its header length")
    (header_length,) = struct.unpack(">I", payload[:4])
    if header_length > MAX_HEADER_BYTES or 4 + header_length > len(payload):
        raise ProtocolViolation(f"a header of {header_length} bytes in a frame of {len(payload)}")
    try:
        header = json.loads(payload[4 : 4 + header_length].decode("utf-8"), parse_constant=_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolViolation(f"the header is not JSON ({type(exc).__name__})") from None
    if not isinstance(header, dict) or set(header) != {"body", "arrays"} or not isinstance(header["arrays"], list):
        raise ProtocolViolation("the header is not {body, arrays}")
    sizes = header["arrays"]
    if len(sizes) > MAX_ARRAYS or not all(type(size) is int and size >= 0 for size in sizes):
        raise ProtocolViolation("bad array sizes in the header")
    if 4 + header_length + sum(sizes) != len(payload):
        raise ProtocolViolation("the array bodies do not add up to the frame's length")
    arrays: list[np.ndarray] = []
    offset = 4 + header_length
    for size in sizes:
        arrays.append(_load_array(payload[offset : offset + size]))
        offset += size
    budget = [MAX_ITEMS]
    return _checked(header["body"], arrays, 0, budget)


def _constant(name: str) -> float:
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[name]


def _load_array(body: bytes) -> np.ndarray:
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise ProtocolViolation(f"an array that is not a plain .npy ({str(exc).splitlines()[0][:80]})") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in ARRAY_KINDS or array.dtype.fields:
        raise ProtocolViolation(f"an array of dtype {getattr(array, 'dtype', '?')}: only numbers and booleans")
    return array


def _checked(value: object, arrays: list[np.ndarray], depth: int, budget: list[int]) -> object:
    if depth > MAX_DEPTH:
        raise ProtocolViolation("a message nested too deeply")
    if value is None or type(value) in (bool, int, float):
        return value
    if type(value) is str:
        if len(value) > MAX_STRING:
            raise ProtocolViolation(f"a string of {len(value)} characters")
        return value
    budget[0] -= 1
    if budget[0] < 0:
        raise ProtocolViolation("a message with too many items")
    if type(value) is list:
        budget[0] -= len(value)
        if budget[0] < 0:
            raise ProtocolViolation("a message with too many items")
        return [_checked(item, arrays, depth + 1, budget) for item in value]
    if type(value) is dict:
        if set(value) == {"$array"}:
            index = value["$array"]
            if type(index) is not int or not 0 <= index < len(arrays):
                raise ProtocolViolation("a reference to an array that is not in the frame")
            return arrays[index]
        if set(value) == {"$handle", "type"}:
            if type(value["$handle"]) is not int or type(value["type"]) is not str or len(value["type"]) > 200:
                raise ProtocolViolation("a malformed handle")
            return Handle(value["$handle"], value["type"])
        budget[0] -= len(value)
        if budget[0] < 0:
            raise ProtocolViolation("a message with too many items")
        return {key: _checked(item, arrays, depth + 1, budget) for key, item in value.items()}
    raise ProtocolViolation(f"a value of type {type(value).__name__}")  # pragma: no cover - json gives no other


def write_frame(fd: int, message: object) -> None:
    data = memoryview(encode(message))
    while data:
        written = os.write(fd, data)
        data = data[written:]


def read_exactly(fd: int, size: int) -> bytes | None:
    """`size` bytes from `fd`, or None at end of file before any byte (a truncated frame is a violation)."""
    chunks, got = [], 0
    while got < size:
        chunk = os.read(fd, min(size - got, 2**20))
        if not chunk:
            if got == 0:
                return None
            raise ProtocolViolation(f"the stream ended inside a frame ({got} of {size} bytes)")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int = MAX_FRAME_BYTES) -> object | None:
    """The next message on `fd` (blocking), or None at end of file."""
    prefix = read_exactly(fd, 8)
    if prefix is None:
        return None
    (length,) = struct.unpack(">Q", prefix)
    if length > max_bytes:
        raise ProtocolViolation(f"a frame of {length} bytes (the limit is {max_bytes})")
    payload = read_exactly(fd, length)
    if payload is None:
        raise ProtocolViolation("the stream ended after a frame's length")
    return decode(payload)

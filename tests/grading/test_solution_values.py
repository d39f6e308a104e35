"""What crosses between a suite that imports the solution by name and the solution's sandboxed process: builtin
data, typed (a tuple stays a tuple, a set a set), never an object's behaviour."""

from __future__ import annotations

import collections
import enum
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quiz.grading.values import NotData, decode, encode

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.complex_numbers(allow_nan=False)
)
hashable = st.recursive(
    scalars, lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3), max_leaves=10
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.sets(hashable, max_size=4)
        | st.dictionaries(hashable, inner, max_size=4)
    ),
    max_leaves=20,
)


def same(a, b) -> bool:
    """Equal, and of the same builtin type all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


@given(values)
def test_every_builtin_value_comes_back_as_itself(value):
    """Through JSON, as the wire carries it."""
    assert same(decode(json.loads(json.dumps(encode(value)))), value)


def test_an_int_past_pythons_decimal_limit_crosses():
    huge = 10**5000 + 7
    assert decode(json.loads(json.dumps(encode([huge, -huge])))) == [huge, -huge]


def test_a_tuple_is_not_a_list_on_the_other_side():
    assert decode(encode(("Hello", 1))) == ("Hello", 1) != ["Hello", 1]
    assert type(decode(encode({1: {2, 3}}))[1]) is set


def test_non_finite_floats_cross_tagged():
    back = decode(encode([math.inf, -math.inf, math.nan]))
    assert back[:2] == [math.inf, -math.inf] and math.isnan(back[2])


def test_a_subclass_crosses_as_its_builtin_value_never_its_behaviour():
    class AlwaysEqual(int):
        def __eq__(self, other):
            return True

    class Level(enum.IntEnum):
        LOW = 1

    point = collections.namedtuple("Point", "x y")(1, 2)
    assert type(decode(encode(AlwaysEqual(3)))) is int and decode(encode(AlwaysEqual(3))) != 4
    assert decode(encode(Level.LOW)) == 1 and type(decode(encode(Level.LOW))) is int
    assert decode(encode(point)) == (1, 2) and type(decode(encode(point))) is tuple


@pytest.mark.parametrize("value", [object(), lambda: 1, iter([1]), type, Exception("x")])
def test_an_object_is_refused_by_name(value):
    with pytest.raises(NotData, match="is an object, not data"):
        encode(value)


@pytest.mark.parametrize(
    "data",
    [
        {"$py": "list"},
        {"$py": "nope", "v": []},
        {"$py": "float", "v": "1e999"},
        [1, 2],
        {"a": 1},
        {"$py": "dict", "v": [[1]]},
        float("nan"),
    ],
)
def test_anything_encode_cannot_have_made_is_refused(data):
    with pytest.raises(ValueError):
        decode(data)

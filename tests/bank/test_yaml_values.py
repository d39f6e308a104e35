"""The fast value builder gives exactly what PyYAML's safe loader gives, or steps aside for it."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz.bank import yaml_values
from tests.bank.test_properties import values


def pyyaml(text: str):
    """PyYAML's own load with the same (C) loader; its pure-Python loader differs on a few odd inputs ('!')."""
    return yaml.load(text, Loader=yaml_values.Loader)


def build_or_safe_constructor(text: str):
    """What the bank loader does: `build`, or PyYAML's constructor when the document is out of the ordinary."""
    loader = yaml_values.Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, "empty"
        try:
            return yaml_values.build(root, loader)[0], "build"
        except yaml_values.Unusual:
            return loader.construct_document(root), "safe constructor"
    finally:
        loader.dispose()


@settings(max_examples=300, deadline=None)
@given(doc=values)
def test_built_values_equal_pyyaml_for_any_plain_document(doc):
    text = yaml.safe_dump(doc, allow_unicode=True)
    value, way = build_or_safe_constructor(text)
    assert way == "build"
    assert repr(value) == repr(pyyaml(text))  # repr: same types, same order, nan == nan


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab1.:- []{},&*!<>#'\"\n\t yn~")), max_size=60))
def test_any_text_that_pyyaml_loads_is_loaded_the_same(text):
    try:
        expected = pyyaml(text)
    except (yaml.YAMLError, TypeError, RecursionError):
        return
    value, _ = build_or_safe_constructor(text)
    assert repr(value) == repr(expected)


def test_aliases_share_one_object_and_a_recursive_list_refers_to_itself():
    value, way = build_or_safe_constructor("a: &x [1, 2]\nb: *x\nc: &r [*r]\n")
    assert way == "build"
    assert value["a"] == [1, 2] and value["b"] is value["a"]
    assert value["c"][0] is value["c"]


def test_an_alias_bomb_builds_in_no_time_and_no_memory():
    levels = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    value, way = build_or_safe_constructor("\n".join(levels) + "\n")
    assert way == "build"
    assert value["l8"][0] is value["l7"] and len(value["l8"]) == 10  # 10^9 strings if expanded


def test_timestamps_merge_keys_and_unhashable_keys_are_left_to_pyyaml():
    for text in ("when: 2026-11-28\n", "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n"):
        value, way = build_or_safe_constructor(text)
        assert way == "safe constructor"
        assert value == pyyaml(text)
    loader = yaml_values.Loader("? [a, b]\n: 1\n")
    try:
        root = loader.get_single_node()
        try:
            yaml_values.build(root, loader)
            raise AssertionError("an unhashable key must step aside")
        except yaml_values.Unusual:
            pass
    finally:
        loader.dispose()


def test_repeated_keys_are_reported_with_their_nodes_and_the_last_value_kept():
    loader = yaml_values.Loader("a: 1\nb:\n  c: 2\n  c: 3\na: 4\n")
    value, repeated = yaml_values.build(loader.get_single_node(), loader)
    loader.dispose()
    assert value == {"a": 4, "b": {"c": 3}}
    assert [(node.value, node.start_mark.line + 1) for node in repeated] == [("c", 4), ("a", 5)]

"""Property tests: whatever a file holds, validation reports problems and never raises."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quiz.bank import check_files
from quiz.bank.schema import declared_languages, deck_validator, is_valid_deck
from tests.bank.conftest import QUESTION

VALID_DECK = yaml.safe_load(QUESTION)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["open", "choice", "zh", "en", "d.one", "a", "python"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.text(max_size=10),
                st.sampled_from(["id", "type", "zh", "en", "questions", "options", "correct", "code"]),
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=25,
)


def paths_in(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from paths_in(value, prefix + (key,))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from paths_in(value, prefix + (index,))


def chinese_only(value):
    """The valid deck as a one-language deck: every text and term list without its English."""
    if isinstance(value, dict):
        return {k: chinese_only(v) for k, v in value.items() if not (k == "en" and "zh" in value)}
    if isinstance(value, list):
        return [chinese_only(v) for v in value]
    return value


ZH_DECK = chinese_only(VALID_DECK)
ZH_DECK["deck"]["languages"] = ["zh"]


@st.composite
def mutated_decks(draw, valid=VALID_DECK):
    """A valid deck with one subtree replaced by an arbitrary value: mostly valid, wrong in one place."""
    doc = copy.deepcopy(valid)
    targets = list(paths_in(doc))
    target = draw(st.sampled_from(targets[1:]))
    parent = doc
    for step in target[:-1]:
        parent = parent[step]
    parent[target[-1]] = draw(values)
    return doc


def check_text(tmp_path: Path, text: str | bytes) -> list:
    path = tmp_path / "deck.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    _, problems = check_files([path])
    for problem in problems:
        assert problem.line >= 1 and problem.col >= 1 and problem.message
    return problems


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(doc=values)
def test_arbitrary_yaml_values_are_reported_not_raised(tmp_path, doc):
    problems = check_text(tmp_path, yaml.safe_dump(doc, allow_unicode=True))
    assert problems  # nothing arbitrary is a valid deck by accident of this strategy


@SETTINGS
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text_is_reported_not_raised(tmp_path, text):
    check_text(tmp_path, text)


@SETTINGS
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_are_reported_not_raised(tmp_path, raw):
    check_text(tmp_path, raw)


@SETTINGS
@given(doc=mutated_decks())
def test_mutated_decks_are_reported_not_raised(tmp_path, doc):
    check_text(tmp_path, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


@settings(max_examples=400, deadline=None)
@given(doc=mutated_decks())
def test_fast_check_agrees_with_jsonschema(doc):
    """The compiled fast path and jsonschema (which writes the messages) must never disagree."""
    assert is_valid_deck(doc) == deck_validator().is_valid(doc)


@settings(max_examples=300, deadline=None)
@given(doc=mutated_decks(ZH_DECK))
def test_fast_check_agrees_with_jsonschema_on_one_language_decks(doc):
    assert is_valid_deck(ZH_DECK)
    assert is_valid_deck(doc) == deck_validator(declared_languages(doc)).is_valid(doc)

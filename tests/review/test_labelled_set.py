"""The scorer against hand-labelled answers to the shipped bank (see labelled_set.py for the format and the sets).

The frozen set is the honest measure: it was committed before the scorer learned negation, contradiction and
lists and before any synonym was widened, and nothing was tuned on it. Its figures are checked here against the
floors it reached when first measured; the tuning set's against the issue's targets.
"""

from __future__ import annotations

import functools
import hashlib
from collections import Counter

import pytest

from .labelled_set import (
    ANSWERS,
    FROZEN,
    FROZEN_3,
    FROZEN_4,
    FROZEN_5,
    FROZEN_6,
    FROZEN_7,
    FROZEN_8,
    FROZEN_9,
    FROZEN_10,
    FROZEN_11,
    FROZEN_12,
    FROZEN_13,
    FROZEN_14,
    REDTEAM,
    KINDS,
    NOTHING,
    evaluate,
    load_labelled,
)

# The frozen file as committed in 79a6d6b: any edit to it (relabelling to fit the scorer) fails this test.
FROZEN_SHA256 = {"heldout-2026-12.yaml": "280a0913672f8e0334d70994089021471da660e15a7c01e031edae1152e4a0ba"}
# The third held-out set as committed before any tuning on it.
FROZEN_3_SHA256 = {"heldout-2026-12-02.yaml": "13ff95fb89f53195ed10198d7c11fd408c87b37e854e988e06557bc7543d3d53"}
# The fourth, as committed in d85a834 with nothing else, before round4.yaml was tuned on.
FROZEN_4_SHA256 = {"heldout-2026-12-02b.yaml": "20f057d69a08cf8c546cd18d8d3ebfdf94e05fbacf1e3f01a600df99aabc5ef8"}
# The fifth, as its writer handed it over, committed before anyone scored it.
FROZEN_5_SHA256 = {"heldout-2026-12-03.yaml": "eeafb1986caa32e13dac86237bf4ea8f44676ca677ff41e96b7ab30375c956ac"}
# The sixth, three writers' files as handed over, committed before round 6 tuned anything.
FROZEN_6_SHA256 = {"heldout-2026-12-03b.yaml": "2a607da338d250a3e01c4c94bf9594197d352c0f275b5ab22d9d9f2b84fcc368"}
# The seventh, three writers' files from writer_brief.py's brief, committed in 5ae66c7 before round 7 tuned anything.
FROZEN_7_SHA256 = {"heldout-2026-12-04.yaml": "f00e974e3f63d9d2c247ee951ecd614919c61b60af655073281265139e4511ce"}
# The eighth, committed in 5bd7904 with round 7 and its review done, and looked at once.
FROZEN_8_SHA256 = {"heldout-2026-12-04b.yaml": "3c198c2365fafb80ef0dda702d171298a7bf3f63187865c25cf8c1c6d06e3128"}
# The ninth, committed in 1621f18 before round 8 was, and looked at once with each of the two scorers.
FROZEN_9_SHA256 = {"heldout-2026-12-04c.yaml": "a0a77a516f5aa89237789933533d779f5123c5729e1cfdfaac440f957ef7b597"}
# The tenth, committed in 6dc2318 with nothing else, before round 9's changes were.
FROZEN_10_SHA256 = {"heldout-2026-12-06.yaml": "9ec2ebac53f383f14603d66cee3b3e8aa148a7a705566a515ebdfd9ba03a3027"}
# The eleventh, committed in 2d622a3 with nothing else, before round 10's changes were.
FROZEN_11_SHA256 = {"heldout-2026-12-06b.yaml": "320dcf961ce5da0f4f55b089177ca8e7451693099403bcc3b707578b1b92db9b"}
# The twelfth, committed in b568665 with nothing else, before round 11's changes were.
FROZEN_12_SHA256 = {"heldout-2026-12-06c.yaml": "71037d99026e350a4f350f864787d96d4b8c8e691ad81a1cc3ef549ba312cfd5"}
# The thirteenth, committed in d068ab6 with nothing else, before round 12's changes were.
FROZEN_13_SHA256 = {"heldout-2026-12-06d.yaml": "00c14c9c847300e52e3876d6eac87ab0cf68a0448a73724e3557d79c96e0ad53"}
# The fourteenth, committed in 4f55dd6 with nothing else, after round 13, and looked at once with round 13's scorer.
FROZEN_14_SHA256 = {"heldout-2026-12-06e.yaml": "15400e5bc33a52e62647df5018d088d516872e6aa81dbda74939f05691240505"}
REDTEAM_SHA256 = {"redteam-2026-12-03.yaml": "d21170ccc2d8da2f6aa332ec33c59b0e74623d0df279e1fea4db784d279f99db"}


SETS = {
    "tuning": ANSWERS,
    "frozen": FROZEN,
    "frozen_3": FROZEN_3,
    "frozen_4": FROZEN_4,
    "frozen_5": FROZEN_5,
    "frozen_6": FROZEN_6,
    "frozen_7": FROZEN_7,
    "frozen_8": FROZEN_8,
    "frozen_9": FROZEN_9,
    "frozen_10": FROZEN_10,
    "frozen_11": FROZEN_11,
    "frozen_12": FROZEN_12,
    "frozen_13": FROZEN_13,
    "frozen_14": FROZEN_14,
    "redteam": REDTEAM,
}


HELD_OUT = [part for part in SETS if part != "tuning"]  # every one has a pinned hash and floors
COMMITTED = {
    "frozen": FROZEN_SHA256,
    "frozen_3": FROZEN_3_SHA256,
    "frozen_4": FROZEN_4_SHA256,
    "frozen_5": FROZEN_5_SHA256,
    "frozen_6": FROZEN_6_SHA256,
    "frozen_7": FROZEN_7_SHA256,
    "frozen_8": FROZEN_8_SHA256,
    "frozen_9": FROZEN_9_SHA256,
    "frozen_10": FROZEN_10_SHA256,
    "frozen_11": FROZEN_11_SHA256,
    "frozen_12": FROZEN_12_SHA256,
    "frozen_13": FROZEN_13_SHA256,
    "frozen_14": FROZEN_14_SHA256,
    "redteam": REDTEAM_SHA256,
}


@functools.cache
def labelled(part: str) -> list:
    """One labelled set by its name in SETS, read once per test process."""
    return load_labelled(SETS[part])


@pytest.fixture(scope="module")
def tuning():
    return labelled("tuning")


@pytest.fixture(scope="module")
def figures(packaged_bank, tuning):
    return {"tuning": evaluate(packaged_bank, tuning)}


@pytest.mark.parametrize("part", HELD_OUT)
def test_the_held_out_sets_are_the_ones_committed_before_tuning(part):
    files = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in SETS[part].glob("*.yaml")}
    assert files == COMMITTED[part]


# frozen_5 is left out: it has one English off-topic answer, not two, and frozen_14 one English misconception (the
# files stay as their writers handed them over)
@pytest.mark.parametrize(
    "part",
    [
        "tuning",
        "frozen",
        "frozen_4",
        "frozen_7",
        "frozen_8",
        "frozen_9",
        "frozen_10",
        "frozen_11",
        "frozen_12",
        "frozen_13",
    ],
)
def test_each_set_is_big_and_varied_enough_to_mean_something(part, packaged_bank):
    items = labelled(part)
    assert (
        len(items)
        >= {
            "tuning": 300,
            "frozen": 150,
            "frozen_4": 120,
            "frozen_5": 110,
            "frozen_7": 90,
            "frozen_8": 90,
            "frozen_9": 90,
            "frozen_10": 90,
            "frozen_11": 90,
            "frozen_12": 90,
            "frozen_13": 90,
            "frozen_14": 90,
        }[part]
    )  # the issue asks for 80 at least
    kinds = Counter((item.kind, item.lang) for item in items)
    for kind in KINDS:
        for lang in ("zh", "en"):
            assert kinds[(kind, lang)] >= 2, f"too few {kind} answers in {lang}"
    from_document = {
        q.id for q in packaged_bank.questions if q.source and "面试题" in q.source
    }  # the document's 5 questions
    assert len(from_document) == 5 and from_document <= {item.question for item in items}


@pytest.mark.parametrize("part", list(SETS))
def test_labels_name_real_questions_and_key_points(part, packaged_bank):
    for item in labelled(part):
        assert item.kind in KINDS, f"{item.file}: unknown kind {item.kind}"
        assert item.question in packaged_bank.by_id, f"{item.file}: no question {item.question} in questions/"
        points = [kp.id for kp in packaged_bank.by_id[item.question].key_points]
        assert set(item.covers) | set(item.contradicts) <= set(points), f"{item.file}: {item.question}"
        assert not set(item.covers) & set(item.contradicts), f"{item.file}: a point both covered and contradicted"
        if item.kind in NOTHING:
            assert item.covers == (), f"{item.file}: a {item.kind} answer covers nothing"
        if item.grade is not None:
            assert 0 <= item.grade <= 4


def test_on_the_tuning_set_the_scorer_meets_the_targets(figures):
    measured = figures["tuning"]
    detail = "\n".join(measured["mistakes"])
    assert measured["precision"] >= 0.95, detail
    assert measured["recall"] >= 0.85, detail
    assert measured["spearman"] >= 0.85
    by_kind = measured["scores_by_kind"]
    assert measured["wrong_headed_max"] <= 0.3, detail
    assert min(by_kind["good"]) >= 0.6, detail


@pytest.mark.parametrize("part", HELD_OUT)
def test_on_the_held_out_sets_the_scorer_keeps_what_it_measured(packaged_bank, part):
    """Floors at the figures measured (see README): a change to the scorer or the bank that does worse on answers
    nobody tuned on fails here. Only numbers are compared and shown: its answers and mistakes stay unseen."""
    floors = FLOORS[part]
    measured = evaluate(packaged_bank, labelled(part))
    by_kind = measured["scores_by_kind"]
    numbers = {
        "precision": round(measured["precision"], 3),
        "recall": round(measured["recall"], 3),
        "spearman": round(measured["spearman"], 3),
        "wrong_headed_max": measured["wrong_headed_max"],
        "good_min": min(by_kind["good"]),
        "contradicted_precision": round(measured["contradicted"]["precision"], 3),
    }
    del measured, by_kind
    below = {
        name: value
        for name, value in numbers.items()
        if name in floors and (value > floors[name] if name == "wrong_headed_max" else value < floors[name])
    }
    assert not below, f"worse than measured on the {part} set: {below} (floors {floors})"


# Measured on the frozen set after the second round of tuning (README): precision 0.924, recall 0.884, Spearman
# 0.897, list/denial/misconception answers at most 0.75, good answers at least 0.56, contradicted precision 0.912.
# Measured on frozen-3 at its first look (3b1fed2): precision 0.929, recall 0.828, Spearman 0.830, list/denial/
# misconception answers at most 0.67, good answers at least 0.50, contradicted precision 0.778; after round 4,
# 0.727 (one more wrong point found, one right one marked wrong: 8 of 11 against 7 of 9), its floor lowered to it.
# Measured on frozen-4 after round 4 (README): precision 0.871, recall 0.942, Spearman 0.815, wrong-headed answers
# at most 0.67, good answers at least 0.75, contradicted precision 1.000.
# Measured on frozen-5 at its first look (the scorer of round 4, before any tuning on it): precision 0.819, recall
# 0.949, Spearman 0.774, a denial scoring 1.00, good answers at least 0.80, contradicted precision 1.000.
# Measured on the red team's answers (round 4's scorer, once): precision 0.635, recall 0.897, Spearman 0.608, good
# answers at least 0.65, contradicted precision 1.000 (recall 0.181), a misconception scoring 1.00. Round 6 read
# its mistakes, so it is tuning material now; its floors stay.
# Measured on frozen-6 at its first look (round 4's scorer, before round 6) and twice after round 6 (before and
# after "redundant" was dropped), the same figures each time: precision 0.821, recall 0.834, Spearman 0.783, a
# wrong-headed answer at 0.75, good answers at least 0.83, contradicted precision 0.909 (recall 0.208). Round 7
# read frozen-5's and frozen-6's mistakes and tuned on them: both are tuning material now, their floors raised to
# round 7's figures (frozen-5: precision 0.833, recall 0.969, Spearman 0.793; frozen-6: 0.833, 0.882, 0.844).
# Measured on frozen-7 at its first look (round 6's scorer, before round 7): precision 0.806, recall 0.868,
# Spearman 0.742, a denial scoring 1.00, good answers at least 0.67, contradicted precision 0.923 (recall 0.255);
# at its second, after round 7: 0.810, 0.868, 0.744, the rest the same; at its third (composed harmless
# misconceptions, list predicates), the same again.
# Measured on frozen-8 once, with round 7's scorer after its review (nothing was changed after): precision 0.793,
# recall 0.847, Spearman 0.753, a list at 0.75 and a misconception at 1.00, good answers at least 0.20,
# contradicted precision 0.684 (recall 0.283). The stop-31 scorer on it, for comparison: 0.787, 0.841, 0.724.
# Round 8 then read frozen-7's and frozen-8's mistakes and tuned on them: their floors are at round 8's figures
# (frozen-7: 0.823, 0.916, 0.772; frozen-8: 0.828, 0.903, 0.827).
# Measured on frozen-9 once with round 7's scorer after its review and once with round 8's, the same figures:
# precision 0.838, recall 0.915, Spearman 0.869, every list and denial at most 0.25, a misconception at 0.75,
# good answers at least 0.75, contradicted precision 0.923 (recall 0.250).
# Measured on frozen-10 once with round 8's scorer (stop 31) and once with round 9's: precision 0.847 -> 0.888,
# recall 0.898 -> 0.904, Spearman 0.817 -> 0.870, lists and denials at most 0.29 both times, misconceptions at or
# below 0.3: 3 of 7 -> 5 of 7 (the worst at 0.81), good answers at least 0.50 -> 0.75, contradicted precision
# 0.941 -> 0.950 (recall 0.356 -> 0.422). Round 9 read frozen-9's mistakes and every earlier set's and tuned on
# them; every floor but frozen-10's is at round 9's figures.
# Measured on frozen-11 once with round 9's scorer and once with round 10's: precision 0.865 -> 0.878, recall 0.911
# -> 0.935, Spearman 0.849 -> 0.875, lists at 0.00, a denial at 0.50 both times, misconceptions at or below 0.3:
# 1 of 6 -> 3 of 6, good answers at least 0.81, contradicted precision 0.917 -> 0.929 (recall 0.268 -> 0.317).
# Round 10 read frozen-10's mistakes and tuned on them; every floor but frozen-11's is at round 10's figures.
# Measured on frozen-12 once with round 10's scorer and once with round 11's: precision 0.864 -> 0.883, recall
# 0.911 -> 0.940, Spearman 0.827 -> 0.869, lists at 0.00, denials at or below 0.3: 6 of 9 -> 8 of 9 (worst 0.75 ->
# 0.50), misconceptions 4 of 7 both times (worst 0.60), a good answer at 0.50 both times, contradicted precision
# 0.917 -> 0.923 (recall 0.234 -> 0.255). Round 11 read frozen-11's mistakes and tuned on them; every floor but
# frozen-12's is at round 11's figures.
# Measured on frozen-13 once with round 11's scorer and once with round 12's, the same figures: precision 0.877,
# recall 0.909, Spearman 0.853, a list at 0.43, denials 7 of 9 and misconceptions 4 of 8 at or below 0.3, a good
# answer at 0.00 (a perfect review followed by its fixed code, read as a keyword list), contradicted precision
# 1.000 (recall 0.383). Round 13 then read it and fixed those two; every floor is at round 13's figures.
# Measured on frozen-14 once, with round 13's scorer (nothing tuned on it, nothing changed after): precision 0.896,
# recall 0.880, Spearman 0.862, lists at 0.00, denials 7 of 9 (worst 0.33), misconceptions 4 of 7 (worst 0.67),
# good answers at least 0.75, contradicted precision 1.000 (recall 0.271).
FLOORS = {
    "frozen": {
        "precision": 0.94,
        "recall": 0.89,
        "spearman": 0.92,
        "wrong_headed_max": 0.6,
        "good_min": 0.56,
        "contradicted_precision": 0.94,
    },
    "frozen_3": {
        "precision": 0.94,
        "recall": 0.84,
        "spearman": 0.84,
        "wrong_headed_max": 0.57,
        "good_min": 0.5,
        "contradicted_precision": 0.72,
    },
    "frozen_4": {
        "precision": 0.9,
        "recall": 0.96,
        "spearman": 0.85,
        "wrong_headed_max": 0.6,
        "good_min": 0.85,
        "contradicted_precision": 0.99,
    },
    "frozen_5": {
        "precision": 0.89,
        "recall": 0.96,
        "spearman": 0.86,
        "wrong_headed_max": 0.75,
        "good_min": 0.8,
        "contradicted_precision": 0.99,
    },
    "frozen_6": {
        "precision": 0.86,
        "recall": 0.89,
        "spearman": 0.89,
        "wrong_headed_max": 0.75,
        "good_min": 0.83,
        # 0.91 until round 9 read "compile 放在 scope 外面完全 ok" as compile-outside's misconception, which it states;
        # its writer listed the answer's other three
        "contradicted_precision": 0.84,
    },
    "frozen_7": {
        "precision": 0.88,
        "recall": 0.92,
        "spearman": 0.88,
        "wrong_headed_max": 0.75,
        "good_min": 0.66,
        "contradicted_precision": 0.94,
    },
    "frozen_8": {
        "precision": 0.89,
        "recall": 0.92,
        "spearman": 0.91,
        "wrong_headed_max": 0.6,
        "good_min": 0.75,
        "contradicted_precision": 0.85,
    },
    "frozen_9": {
        "precision": 0.9,
        "recall": 0.92,
        "spearman": 0.92,
        "wrong_headed_max": 0.63,
        "good_min": 0.75,
        "contradicted_precision": 0.93,
    },
    "frozen_10": {
        "precision": 0.92,
        "recall": 0.97,
        "spearman": 0.9,
        "wrong_headed_max": 0.25,
        "good_min": 0.75,
        "contradicted_precision": 0.96,
    },
    "frozen_11": {
        "precision": 0.93,
        "recall": 0.99,
        "spearman": 0.91,
        "wrong_headed_max": 0.25,
        "good_min": 0.95,
        "contradicted_precision": 0.99,
    },
    "frozen_12": {
        "precision": 0.92,
        "recall": 0.99,
        "spearman": 0.92,
        "wrong_headed_max": 0.4,
        "good_min": 0.95,
        "contradicted_precision": 0.99,
    },
    "frozen_13": {
        "precision": 0.89,
        "recall": 0.93,
        "spearman": 0.88,
        "wrong_headed_max": 0.75,
        "good_min": 0.8,
        "contradicted_precision": 0.99,
    },
    "frozen_14": {
        "precision": 0.89,
        "recall": 0.88,
        "spearman": 0.86,
        "wrong_headed_max": 0.67,
        "good_min": 0.75,
        "contradicted_precision": 0.99,
    },
    "redteam": {  # no wrong_headed_max: a misconception written to beat it already scores 1.00
        "precision": 0.67,
        "recall": 0.89,
        "spearman": 0.64,
        "good_min": 0.65,
        "contradicted_precision": 0.99,
    },
}


def test_good_beats_partial_beats_off_topic_for_every_question(packaged_bank, tuning):
    """Within each file: the kinds are one writer's judgement, and two writers draw "good" and "partial" at
    different places (one's good answer makes three points of five, another's partial one does too)."""
    bad = {}
    for file in sorted({item.file for item in tuning}):
        ordering = evaluate(packaged_bank, [item for item in tuning if item.file == file])["ordering"]
        bad.update({f"{file}: {qid}": o for qid, o in ordering.items() if not o["ok"]})
    assert not bad, bad


def test_the_writers_brief_holds_every_question_and_nothing_of_the_scorer(packaged_bank):
    """Held-out writers see only this: a synonym or a misconception of the bank's in it would let them write to
    the scorer's words. Take out the rules, and every prompt, piece of code, key point id and statement: what is
    left is markup and the labels of the brief's own lines."""
    from .writer_brief import RULES, brief

    text = brief()
    scored = [q for q in packaged_bank.questions if q.type in ("open", "code-review")]
    assert [line.split()[1] for line in text.splitlines() if line.startswith("## ")] == [q.id for q in scored]
    said = []
    for question in scored:
        said += [question.id, *(s.source.rstrip() for s in question.code)]
        said += [" ".join(question.prompt(lang).split()) for lang in question.languages]
        for point in question.key_points:
            said += [f"`{point.id}`:", " / ".join(" ".join(point.point(lang).split()) for lang in question.languages)]
    rest = text.replace(RULES, "")
    for words in sorted(said, key=len, reverse=True):  # longest first: an id never cuts into a prompt
        rest = rest.replace(words, "")
    labels = {
        "##",
        "(open)",
        "(code-review)",
        "-",
        "prompt",
        "(zh):",
        "(en):",
        "key",
        "points:",
        "``",
        "`:",
        "```python",
        "```",
    }
    assert set(rest.split()) <= labels, set(rest.split()) - labels


def test_the_writers_check_names_each_mistake_in_a_file_and_passes_the_last_set(tmp_path):
    """`writer_brief --check` is what a held-out writer runs before handing a file over (it scores nothing)."""
    from .writer_brief import check

    assert check(SETS["frozen_10"] / "heldout-2026-12-06.yaml") == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- question: cost.open-source-frameworks\n  lang: fr\n  kind: list\n  covers: [free, nonsense]\n"
        "  contradicts: [free]\n  grade: 5\n  answer: ''\n- question: no.such-question\n"
        "- question: [a, b]\n- question: cost.open-source-frameworks\n  covers: free\n  contradicts: [[free]]\n",
        encoding="utf-8",
    )
    problems = "\n".join(check(bad))
    for said in (
        "covers names no key point 'nonsense'",
        "both covered and contradicted",
        "lang must be",
        "a list answer covers nothing",
        "grade must be",
        "the answer is empty",
        "item 2: missing lang",
        "unknown question 'no.such-question'",
        "item 3: unknown question ['a', 'b']",
        "item 4: covers must be a list of key point ids",
        "item 4: contradicts must be a list of key point ids",
    ):
        assert said in problems

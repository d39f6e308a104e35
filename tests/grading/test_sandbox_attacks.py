"""Attacks on the sandbox and on the grader around it (tests/grading/fixtures/sandbox_attacks/): each is graded
beside a correct submission (`--jobs 2`); the correct one passes, the attack does not, the batch's other results
are all there, and nothing is left on the host."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quiz.grading.runner import ReportReader, grade_batch
from quiz.grading.sandbox import remove_tree

from .helpers import MEMORY_MB, TIMEOUT, TOY

ATTACKS = Path(__file__).parent / "fixtures" / "sandbox_attacks"


def graded_beside_the_reference(name: str, **limits) -> tuple:
    """The attack and the toy's reference, two at a time: (attack's result, reference's result)."""
    options = {"jobs": 2, "timeout": TIMEOUT, "memory_mb": MEMORY_MB, **limits}
    attack, reference = grade_batch(TOY, [ATTACKS / f"{name}.py", TOY / "reference.py"], **options)
    assert reference.status == "pass", reference.message
    assert reference.score == reference.max_score == 7
    assert attack.status != "pass", attack.message
    return attack, reference


def sandbox_folders() -> set[str]:
    return {p.name for p in Path("/tmp").glob("quiz-grade-*")}


# -- the grader cannot be broken by what a run leaves or prints ---------------------------------------------------

def test_a_deep_folder_tree_in_the_box_is_cleaned_up_and_costs_no_result():
    before = sandbox_folders()
    attack, _ = graded_beside_the_reference("deep_tree")
    assert attack.status == "fail" and len(attack.tests) == 4
    assert sandbox_folders() <= before  # removed, however deep; a later run is not blocked
    graded_beside_the_reference("deep_tree")


def test_lines_that_look_like_the_sandboxs_notes_are_not_recorded_as_its_notes():
    attack, reference = graded_beside_the_reference("forge_sandbox_notes")
    assert attack.status == "fail"
    assert not any("all clear" in note for note in attack.isolation["problems"]), attack.isolation
    assert attack.isolation["problems"] == reference.isolation["problems"]


def test_a_submission_that_vanishes_before_its_turn_is_an_error_and_the_batch_goes_on(tmp_path):
    gone = tmp_path / "deleted_before_grading.py"
    missing, reference = grade_batch(TOY, [gone, TOY / "reference.py"], jobs=2, timeout=TIMEOUT,
                                     memory_mb=MEMORY_MB)
    assert missing.status == "error"
    assert "submission not found" in missing.message
    assert reference.status == "pass"


def test_a_tree_of_any_depth_and_read_only_folders_are_removed(tmp_path):
    root = tmp_path / "box"
    root.mkdir()
    try:
        fd = os.open(root, os.O_RDONLY)
        for depth in range(3000):
            os.mkdir("d", dir_fd=fd)
            below = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = below
            if depth % 1000 == 0:
                os.close(os.open("file", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
        os.close(fd)
        (root / "locked" / "in").mkdir(parents=True)
        (root / "locked" / "in" / "file").write_text("x")
        (root / "locked" / "in").chmod(0o500)
        (root / "locked").chmod(0o500)
        (root / "outside-link").symlink_to(tmp_path)
        remove_tree(root)
        assert not root.exists()
        assert tmp_path.is_dir()  # the link was removed, not followed
        remove_tree(root)  # already gone: nothing raised
    finally:
        if root.exists():  # pytest's own cleanup of old tmp_path folders would overflow on what is left
            os.system(f"rm -rf {root}")


# -- the report channel: any line is read or refused, never raised on ------------------------------------------

KEY = "k" * 32
COLLECTED = {"key": KEY, "seq": 1, "event": "collected",
             "tests": [{"nodeid": "t::a", "weight": 1}, {"nodeid": "t::b", "weight": 2}]}


def line(**fields) -> bytes:
    return json.dumps(fields).encode()


def started(nodeid: str, seq: int) -> bytes:
    return line(key=KEY, seq=seq, event="start", nodeid=nodeid)


BROKEN_LINES = {
    "100,000 brackets, no key": b"[" * 100_000,
    "a line over the cap": b'{"key": "' + b"x" * (9 * 2**20) + b'"}',
    "a duration that is text": line(key=KEY, seq=3, event="result", nodeid="t::a", status="pass", duration="soon"),
    "a NaN duration": line(key=KEY, seq=3, event="result", nodeid="t::a", status="pass").replace(
        b"}", b', "duration": NaN}'),
    "an infinite duration": line(key=KEY, seq=3, event="result", nodeid="t::a", status="pass").replace(
        b"}", b', "duration": Infinity}'),
    "a negative duration": line(key=KEY, seq=3, event="result", nodeid="t::a", status="pass", duration=-1),
    "a message that is a list": line(key=KEY, seq=3, event="result", nodeid="t::a", status="fail", message=[1]),
    "an end whose status is text": line(key=KEY, seq=3, event="end", exitstatus="0"),
    "an end whose isolation is a list": line(key=KEY, seq=3, event="end", exitstatus=0, isolation=[1]),
    "not UTF-8": b'{"key": "\xff\xfe"}',
}


@pytest.mark.parametrize("what", sorted(BROKEN_LINES))
def test_a_broken_report_line_is_tampering_not_a_crash(what):
    reader = ReportReader(KEY, None)
    assert reader.take(line(**COLLECTED)) and reader.take(started("t::a", 2))
    assert reader.take(BROKEN_LINES[what]) is False
    assert reader.tampering and not reader.results


@pytest.mark.parametrize("tests", [[{"nodeid": "t::a", "weight": float("nan")}], [{"nodeid": 3}], "all", [[1]],
                                   [{"nodeid": "t::a", "weight": -1}]])
def test_a_malformed_list_of_tests_is_tampering(tests):
    reader = ReportReader(KEY, None)
    raw = json.dumps({**COLLECTED, "tests": tests}).encode()
    assert reader.take(raw) is False
    assert reader.expected is None


def test_well_formed_lines_are_still_read():
    reader = ReportReader(KEY, None)
    assert reader.take(line(**COLLECTED)) and reader.take(started("t::a", 2))
    assert reader.take(line(key=KEY, seq=3, event="result", nodeid="t::a", status="pass", duration=0.25))
    assert reader.take(line(key=KEY, seq=4, event="end", exitstatus=1, stops=[], isolation={"mode": "x"}))
    assert reader.results["t::a"].duration == 0.25 and reader.exitstatus == 1 and not reader.tampering

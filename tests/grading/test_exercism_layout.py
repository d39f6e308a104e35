"""Exercism's layout, graded by `quiz grade` through the trusted/untrusted split, against what Exercism's own runner
writes for the same cases (tests/grading/exercism/*/expected_results.json, made by expected.py there).

Each case is this project's own: a solution, its `*_test.py` files, sometimes `.meta/config.json`. They cover the
failure modes of the runner's golden cases: all fail, partial failure, success, subtests (passing, partly failing,
printing), tasks, output over the cap, an empty file, a syntax error, a missing name, a config naming several test
files, exceptions raised for the tests, pytest-style tests with the `subtests` fixture, and functions that change
the lists and dicts they are given (or must not).

Where we differ from the runner, on purpose (each also in the README):
- a test whose subtests failed is failed; the runner gives such a test the status of its LAST subtest (a test
  with a failing variation then a passing one shows as passed), and passes a pytest test whose subtests failed;
- every test keeps its output (capped as the runner caps it); the runner keeps it only for the variations of a
  failing unittest test, where it has any;
- when no test could run, our message says why in our words and quotes the error's last line, where the runner's
  holds pytest's traceback with the paths of its own machine.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

CASES = Path(__file__).parent / "exercism"
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "expected_results.json").is_file())


def grade(case: Path, *extra: str) -> subprocess.CompletedProcess:
    solution = solution_file(case)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "grade",
            str(case),
            str(solution),
            "--format",
            "exercism",
            "--timeout",
            "60",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )


def solution_file(case: Path) -> Path:
    config = case / ".meta" / "config.json"
    if config.is_file():
        return case / json.loads(config.read_text())["files"]["solution"][0]
    return case / next(case.glob("*_test.py")).name.replace("_test.py", ".py")


def key_line(message: str) -> str:
    """What an error message says, without pytest's traceback or a machine's paths: its last line, less the
    `E   ` margin, the exception's type and a trailing `(path)`."""
    last = [line for line in message.splitlines() if line.strip()][-1]
    last = re.sub(r"^E\s+", "", last)
    last = re.sub(r"^\w*(Error|Exception): ", "", last)
    return re.sub(r" \([^()]*\)$", "", last).strip()


def subtests_of(tests: list[dict], parent: dict) -> list[dict]:
    stem = parent["name"].removesuffix("~")
    return [t for t in tests if t["name"].startswith(stem + " [") and t is not parent]


def test_every_failure_mode_of_the_runner_has_a_case():
    assert NAMES == [
        "all-fail",
        "config-several-files",
        "data-module",
        "empty-file",
        "exceptions",
        "in-place",
        "missing-name",
        "partial-fail",
        "pytest-functions",
        "subtests-partial",
        "subtests-stdout",
        "subtests-success",
        "success",
        "syntax-error",
        "tasks-and-stdout",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_results_match_exercisms_runner(name):
    case = CASES / name
    expected = json.loads((case / "expected_results.json").read_text(encoding="utf-8"))
    run = grade(case)
    assert run.returncode in (0, 1), run.stderr
    got = json.loads(run.stdout)

    assert got["version"] == 3
    assert got["status"] == expected["status"], got.get("message")
    if expected["status"] == "error":
        assert got["tests"] == [] == expected["tests"]
        assert key_line(expected["message"]) in got["message"]
        return
    assert [t["name"] for t in got["tests"]] == [t["name"] for t in expected["tests"]]
    for ours, theirs in zip(got["tests"], expected["tests"]):
        assert ours["task_id"] == theirs["task_id"], ours["name"]
        assert ours["test_code"] == theirs["test_code"], ours["name"]
        variations = subtests_of(got["tests"], ours)
        if variations:  # failed when one of its subtests failed (the runner: its last subtest's status)
            failed = any(v["status"] == "fail" for v in variations)
            assert ours["status"] == ("fail" if failed else "pass"), ours["name"]
            if failed and theirs.get("message"):
                assert ours["message"] == theirs["message"], ours["name"]
            continue
        assert ours["status"] == theirs["status"], ours["name"]
        assert ours.get("message") == theirs.get("message"), ours["name"]
        if "output" in theirs:
            assert ours.get("output") == theirs["output"], ours["name"]

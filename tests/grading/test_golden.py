"""Golden results, one folder per failure mode (as Exercism's test runner keeps them): the submission and the
expected JSON result, compared field by field with times and the machine's isolation details left out.

To regenerate after an intended change: QUIZ_UPDATE_GOLDEN=1 pytest tests/grading/test_golden.py, then review
the diff like any other code change."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quiz.grading.runner import grade_submission

from .helpers import MEMORY_MB, TIMEOUT, TOY

GOLDEN = Path(__file__).parent / "golden"
MODES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
LEFT_OUT = {"duration", "isolation"}


def comparable(data: dict) -> dict:
    kept = {k: v for k, v in data.items() if k not in LEFT_OUT}
    kept["submission"] = Path(kept["submission"]).name
    kept["tests"] = [{k: v for k, v in test.items() if k not in LEFT_OUT} for test in data["tests"]]
    return kept


def test_every_failure_mode_has_a_folder():
    assert MODES == ["empty_file", "import_error", "syntax_error", "timeout", "wrong_answer"]


@pytest.mark.parametrize("mode", MODES)
def test_golden_result(mode):
    folder = GOLDEN / mode
    actual = comparable(grade_submission(TOY, folder / "submission.py", timeout=TIMEOUT, memory_mb=MEMORY_MB).to_dict())
    expected_file = folder / "expected_results.json"
    if os.environ.get("QUIZ_UPDATE_GOLDEN"):
        expected_file.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    for key in expected:
        if key != "tests":
            assert actual[key] == expected[key], key
    assert len(actual["tests"]) == len(expected["tests"])
    for got, want in zip(actual["tests"], expected["tests"]):
        for key in want:
            assert got[key] == want[key], f"{want['name']}: {key}"
    assert set(actual) == set(expected)

"""What grading produces: one TestResult per test the suite defines, one SubmissionResult per submission.

Plain dataclasses with `to_dict`/`from_dict`, so the CLI formats, the Textual app and the golden-file tests all
read the same shape; `result.schema.json` beside this file describes `to_dict`'s output.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from importlib import resources


class TestStatus(StrEnum):
    __test__ = False  # not a pytest test class

    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"


class SubmissionStatus(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"  # the grader could not judge it (no tests ran, the suite broke)
    TIMEOUT = "timeout"
    MEMORY = "memory"


TEST_STATUSES = tuple(TestStatus)
SUBMISSION_STATUSES = tuple(SubmissionStatus)
FORMAT_VERSION = 1


@dataclass
class TestResult:
    __test__ = False  # not a pytest test class

    name: str
    status: str  # pass / fail / error / skip
    message: str = ""
    duration: float = 0.0
    output: str = ""
    weight: float = 1
    score: float = 0
    task_id: int | None = None
    verdict: str | None = None  # "recomputed" (decided by the suite from data) or "reported" (a probe's fact)
    test_code: str = ""
    parent: str | None = None  # a subtest: the node id of the test it ran in (it weighs 0; that test fails with it)


@dataclass
class SubmissionResult:
    submission: str
    exercise: str
    status: str  # pass / fail / error / timeout / memory
    tests: list[TestResult] = field(default_factory=list)
    score: float = 0
    max_score: float = 0
    duration: float = 0.0
    isolation: dict = field(default_factory=dict)
    message: str = ""
    advisory: bool = False  # the tests ran in the submission's own (sandboxed) process: its verdicts are forgeable

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SubmissionResult":
        tests = [TestResult(**t) for t in data.get("tests", [])]
        return cls(**{**data, "tests": tests})


def batch_to_dict(exercise: str, results: list[SubmissionResult]) -> dict:
    """Our JSON format: one object for the whole batch (a single submission is a batch of one)."""
    return {
        "version": FORMAT_VERSION,
        "exercise": exercise,
        "summary": {
            "submissions": len(results),
            "passed": sum(r.passed for r in results),
            "statuses": {s: sum(r.status == s for r in results) for s in SUBMISSION_STATUSES},
        },
        "results": [r.to_dict() for r in results],
    }


_NOT_PRINTABLE = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean_text(text: str) -> str:
    """Text a submission produced, made safe for every format and terminal: lone surrogates (which no UTF-8 writer
    accepts) and control characters (which XML 1.0 forbids and which repaint a grader's terminal: ESC, BEL, NUL)
    become '?'. Tabs and newlines stay."""
    return _NOT_PRINTABLE.sub("?", text.encode("utf-8", "replace").decode("utf-8"))


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def schema() -> dict:
    return json.loads(resources.files("quiz.grading").joinpath("result.schema.json").read_text(encoding="utf-8"))

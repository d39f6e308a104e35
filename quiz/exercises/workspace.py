"""A learner's copy of an exercise: the folder it is in, the solution started from the starter (never written
over), the result of its last test run (which unlocks the reference solution in the app), and how many tests the
suite holds. The app and `quiz exercise start` both start exercises through it. Nothing here imports TensorFlow."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

SOLUTION = "solution.py"
LAST_RESULT = "last_result.json"
STATEMENT = "README.md"
_TEST_FUNCTION = re.compile(r"^\s*(?:async\s+)?def test_", re.M)


@dataclass(frozen=True)
class Workspace:
    exercise_dir: Path  # the shipped exercise: README.md, starter.py, reference.py, tests/
    folder: Path  # the learner's copy

    @property
    def name(self) -> str:
        return self.exercise_dir.name

    @property
    def solution(self) -> Path:
        return self.folder / SOLUTION

    @property
    def started(self) -> bool:
        return self.solution.exists()

    def start(self, *, with_statement: bool = False) -> bool:
        """Write the starter as the solution, and the statement beside it if asked; False when a solution was
        already there (it is kept as it is). Raises OSError when the folder cannot be written, IsADirectoryError
        when the solution's name is taken by something that is not a file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if with_statement:
            (self.folder / STATEMENT).write_bytes((self.exercise_dir / STATEMENT).read_bytes())
        if self.solution.exists():
            if not self.solution.is_file():
                raise IsADirectoryError(f"{self.solution} exists and is not a file")
            return False
        starter = self.exercise_dir / "starter.py"
        if starter.exists():
            self.solution.write_bytes(starter.read_bytes())
        else:
            self.solution.write_text(f"# {self.name}: write your solution here\n", encoding="utf-8")
        return True

    def save_result(self, result: dict) -> None:
        """Keep the last test run's result (SubmissionResult.to_dict()): having run the tests unlocks the reference."""
        (self.folder / LAST_RESULT).write_text(json.dumps(result, indent=2), encoding="utf-8")

    @property
    def tests_were_run(self) -> bool:
        return (self.folder / LAST_RESULT).exists()

    @property
    def reference(self) -> Path:
        return self.exercise_dir / "reference.py"

    def count_tests(self) -> int:
        """A first guess for a progress bar: test functions written in the suite (a parametrized one counts once)."""
        suites = (self.exercise_dir / "tests").glob("test_*.py")
        return sum(len(_TEST_FUNCTION.findall(p.read_text(encoding="utf-8", errors="replace"))) for p in suites) or 1

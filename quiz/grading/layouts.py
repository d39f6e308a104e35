"""The exercise folders `quiz grade` takes, and what each says about where the tests and the solution are.

- quiz: README.md, starter.py, reference.py and tests/, whose tests take the submission from a fixture.
- exercism: the layout Exercism's test runner receives: `<slug>_test.py` files beside the solution `<slug>.py`,
  optionally `.meta/config.json` naming them (`files.solution`, `files.test`, `files.example`). The tests import
  the solution by its own name (`from lasagna import ...`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path


class Layout(Enum):
    QUIZ = "quiz"
    EXERCISM = "exercism"


class NotAnExercise(ValueError):
    """A folder that is neither layout, or whose config cannot be read (the text says why)."""


@dataclass(frozen=True)
class ExerciseFolder:
    folder: Path
    layout: Layout
    tests: tuple[Path, ...]  # the test files (exercism) or the tests/ folder (quiz)
    solution_module: str | None = None  # exercism: the name the tests import
    solution_files: tuple[Path, ...] = ()  # exercism: the solution as the folder holds it (never copied to the suite)
    example: Path | None = None  # exercism: the exercise's own solution, when it ships one

    @property
    def name(self) -> str:
        return self.folder.name

    def suite_files(self) -> list[Path]:
        """Exercism: the files its tests need (the test files, data beside them), never the solution or the
        example, so that a suite run from a copy of them cannot import a solution from the exercise's folder."""
        left_out = {path.name for path in (*self.solution_files, self.example) if path is not None}
        return sorted(
            path
            for path in self.folder.iterdir()
            if path.is_file() and path.name not in left_out and not path.name.startswith(".")
        )


def read_exercise(folder: Path) -> ExerciseFolder:
    folder = Path(folder)
    if (folder / "tests").is_dir():
        return ExerciseFolder(folder, Layout.QUIZ, (folder / "tests",))
    config = read_config(folder)
    files = config.get("files", {})
    tests = [folder / name for name in files.get("test", [])] or sorted(folder.glob("*_test.py"))
    if not tests:
        raise NotAnExercise(f"{folder} is not an exercise: it has no tests/ folder and no *_test.py files")
    outside = [str(path) for path in tests if not path.resolve().is_relative_to(folder.resolve())]
    if outside:
        raise NotAnExercise(f"{folder}/.meta/config.json names test files outside the exercise: {', '.join(outside)}")
    missing = [str(path.relative_to(folder)) for path in tests if not path.is_file()]
    if missing:
        raise NotAnExercise(f"{folder}/.meta/config.json names test files that are not there: {', '.join(missing)}")
    solutions = [folder / name for name in files.get("solution", [])]
    if not solutions:
        slug = tests[0].name.removesuffix("_test.py")
        solutions = [folder / f"{slug}.py"]
    examples = [folder / name for key in ("example", "exemplar") for name in files.get(key, [])]
    examples += [folder / ".meta" / name for name in ("example.py", "exemplar.py")]
    example = next((path for path in examples if path.is_file()), None)
    return ExerciseFolder(folder, Layout.EXERCISM, tuple(tests), solutions[0].stem, tuple(solutions), example)


def read_config(folder: Path) -> dict:
    path = folder / ".meta" / "config.json"
    if not path.is_file():
        return {}
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise NotAnExercise(f"{path} cannot be read: {exc}") from None
    files = config.get("files", {}) if isinstance(config, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(files.get(key, []), list) and all(isinstance(n, str) for n in files.get(key, []))
        for key in ("solution", "test", "example", "exemplar")
    ):
        raise NotAnExercise(f'{path}: "files" must map solution/test/example to lists of file names')
    return config

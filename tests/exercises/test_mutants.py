"""The wrong solutions kept as edits of a reference (mutants.py) still fit it: a change to a reference that moves an
edit's text fails here, fast and by name, before any slow suite runs the mutant. No TensorFlow is imported."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from .mutants import FIXTURES, MUTANTS, ROOT, Mutant, MutantDoesNotApply, reference_path, write_mutant

EVERY_MUTANT = [(exercise, name) for exercise, mutants in MUTANTS.items() for name in mutants]


@pytest.mark.parametrize(("exercise", "name"), EVERY_MUTANT, ids=[f"{e}-{n}" for e, n in EVERY_MUTANT])
def test_a_mutant_is_its_reference_with_its_edits_made(exercise, name, tmp_path):
    written = write_mutant(exercise, name, tmp_path)
    source = written.read_text(encoding="utf-8")
    reference = reference_path(exercise).read_text(encoding="utf-8")
    tree = ast.parse(source)  # it compiles
    assert ast.get_docstring(tree).startswith(f"Wrong solution {name} ")
    assert MUTANTS[exercise][name].mistake in ast.get_docstring(tree)
    code = [ast.dump(statement) for statement in tree.body[1:]]
    assert code != [ast.dump(statement) for statement in ast.parse(reference).body[1:]], "the edits changed no code"
    for _, new in MUTANTS[exercise][name].edits:
        assert new in source


@pytest.mark.parametrize("exercise", sorted(MUTANTS))
def test_no_wrong_solution_lies_loose_beside_correct_and_wrong(exercise):
    loose = sorted(path.name for path in (FIXTURES / exercise).glob("*.py"))
    assert not loose, f"{loose}: a wrong solution near the reference belongs in mutants.py, others under wrong/"


def test_an_edit_whose_text_the_reference_lost_names_the_mutant_and_the_text():
    mutant = Mutant("gone", "a mistake", (("text that is not there", "x"),))
    with pytest.raises(MutantDoesNotApply, match="mutant gone: 'text that is not there' occurs 0 times"):
        mutant.source('"""Reference."""\nprint(1)\n')


def test_an_edit_whose_text_occurs_twice_is_refused():
    mutant = Mutant("twice", "a mistake", (("print(1)", "print(2)"),))
    with pytest.raises(MutantDoesNotApply, match="occurs 2 times"):
        mutant.source('"""Reference."""\nprint(1)\nprint(1)\n')


def test_the_command_writes_every_mutant_of_an_exercise(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "tests.exercises.mutants", "gpu_training", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(path.stem for path in (tmp_path / "out").glob("*.py")) == sorted(MUTANTS["gpu_training"])

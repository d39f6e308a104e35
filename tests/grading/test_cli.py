"""`quiz grade` driven the way a user drives it: through the entry point, reading what it prints."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from quiz.grading.results import schema

from .helpers import MEMORY_MB, TOY

QUIZ = [str(Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "quiz")] if os.environ.get("VIRTUAL_ENV") else None


def quiz(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    import sys

    command = QUIZ or [sys.executable, "-m", "quiz"]
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def grade(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return quiz("grade", str(TOY), *args, "--timeout", "5", "--memory", str(MEMORY_MB), cwd=cwd)


@pytest.fixture
def submissions(tmp_path) -> Path:
    """A folder of three submissions (one right, two wrong), plus files a folder argument must skip."""
    folder = tmp_path / "subs"
    folder.mkdir()
    shutil.copy(TOY / "reference.py", folder / "alice.py")
    (folder / "bob.py").write_text(
        "def add(a, b):\n    return a - b\n\n\ndef train(values, epochs=1):\n    return sum(values) / len(values)\n"
    )
    (folder / "carol.py").write_text("def add(a, b)\n")
    (folder / "conftest.py").write_text("raise SystemExit('a conftest in the folder must not be graded')\n")
    (folder / "notes.txt").write_text("not python\n")
    return folder


def test_passing_submission_exits_0_with_a_readable_table():
    done = grade(str(TOY / "reference.py"))
    assert done.returncode == 0, done.stderr
    assert "reference.py: PASS  7/7 points" in done.stdout
    assert "  ok    tests/test_toy.py::test_train_returns_the_mean  (3/3)" in done.stdout
    assert done.stderr == ""


def test_failing_submission_exits_1_and_names_the_mistake(submissions):
    done = grade(str(submissions / "bob.py"))
    assert done.returncode == 1
    assert "bob.py: FAIL  4/7 points" in done.stdout
    assert "AssertionError: assert -1 == 5" in done.stdout
    assert "at tests/test_toy.py:10: assert submission.add(2, 3) == 5" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["no_such_exercise", "x.py"], "quiz: unknown exercise 'no_such_exercise'"),
        ([str(TOY), "missing.py"], "quiz: no such file or directory: missing.py"),
        ([str(TOY), str(TOY / "README.md")], "quiz: not a Python file:"),
        ([str(TOY / "tests"), str(TOY / "reference.py")], "is not an exercise: it has no tests/ folder"),
        ([str(TOY), str(TOY / "reference.py"), "--jobs", "0"], "quiz: --jobs must be at least 1 (got 0)"),
        (
            [str(TOY), str(TOY / "reference.py"), "--timeout", "0"],
            "quiz: --timeout must be a number of seconds above 0",
        ),
        (
            [str(TOY), str(TOY / "reference.py"), "--timeout", "inf"],
            "quiz: --timeout must be a number of seconds above 0",
        ),
        ([str(TOY), str(TOY / "reference.py"), "--memory", "10"], "quiz: --memory must be at least 64 MB"),
        (
            [str(TOY), str(TOY / "reference.py"), "--output", "/proc/quiz-result.json"],
            "quiz: cannot write /proc/quiz-result.json",
        ),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, message):
    done = quiz("grade", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1
    assert message in done.stderr


def test_a_folder_is_a_batch_with_summary_csv_and_plain_progress(submissions, tmp_path):
    summary = tmp_path / "summary.csv"
    done = grade(str(submissions), "--jobs", "2", "--csv", str(summary))
    assert done.returncode == 1
    table = done.stdout[done.stdout.index("submission  status") :]
    assert table.splitlines()[2].split()[:4] == ["alice.py", "pass", "7/7", "4/4"]
    assert table.splitlines()[3].split()[:4] == ["bob.py", "fail", "4/7", "2/4"]
    assert table.splitlines()[4].split()[:4] == ["carol.py", "error", "0/7", "0/4"]
    assert "1 of 3 submissions passed" in table
    progress = done.stderr.splitlines()
    assert len(progress) == 3 and all(line.startswith(("[1/3] ", "[2/3] ", "[3/3] ")) for line in progress)
    rows = list(csv.DictReader(summary.open()))
    assert [(Path(r["submission"]).name, r["status"], r["score"], r["max_score"]) for r in rows] == [
        ("alice.py", "pass", "7", "7"),
        ("bob.py", "fail", "4", "7"),
        ("carol.py", "error", "0", "7"),
    ]
    assert rows[2]["message"] == "4 of 4 tests could not run: the submission does not compile: expected ':' (line 1)"


def test_json_output_validates_against_the_shipped_schema(submissions, tmp_path):
    out = tmp_path / "result.json"
    done = grade(str(submissions), "--format", "json", "--output", str(out))
    assert done.returncode == 1 and done.stdout == ""
    data = json.loads(out.read_text())
    jsonschema.validate(data, schema())
    assert data["summary"] == {
        "submissions": 3,
        "passed": 1,
        "statuses": {"pass": 1, "fail": 1, "error": 1, "timeout": 0, "memory": 0},
    }
    bob = data["results"][1]
    assert [t["status"] for t in bob["tests"]] == ["fail", "fail", "pass", "pass"]
    assert bob["tests"][0]["test_code"] == "assert submission.add(2, 3) == 5"  # the body, as Exercism shows it


def test_schema_rejects_a_result_with_an_unknown_status(submissions):
    data = json.loads(grade(str(submissions / "alice.py"), "--format", "json").stdout)
    jsonschema.validate(data, schema())
    data["results"][0]["status"] = "passed"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema())


def test_junit_has_one_suite_per_submission(submissions):
    done = grade(str(submissions / "alice.py"), str(submissions / "bob.py"), "--format", "junit")
    root = ET.fromstring(done.stdout)
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["alice.py", "bob.py"]
    assert [(s.get("tests"), s.get("failures"), s.get("errors")) for s in suites] == [("4", "0", "0"), ("4", "2", "0")]
    failure = suites[1].find("testcase").find("failure")
    assert failure.get("message") == "AssertionError: assert -1 == 5"


def test_gradescope_results_for_one_submission(submissions):
    done = grade(str(submissions / "bob.py"), "--format", "gradescope")
    data = json.loads(done.stdout)
    assert (data["score"], data["max_score"]) == (4, 7)
    assert data["tests"][0] == {
        "name": "tests/test_toy.py::test_add_small_numbers",
        "score": 0,
        "max_score": 1,
        "status": "failed",
        "output": "AssertionError: assert -1 == 5\nat tests/test_toy.py:10: assert submission.add(2, 3) == 5\n"
        "[verdict: recomputed by the grader from the submission's data]",
        "visibility": "visible",
    }
    assert [t["status"] for t in data["tests"]] == ["failed", "failed", "passed", "passed"]


def test_exercism_results_version_3(submissions):
    done = grade(str(submissions / "carol.py"), "--format", "exercism")
    data = json.loads(done.stdout)
    assert data["version"] == 3 and data["status"] == "error"
    assert data["message"] == "4 of 4 tests could not run: the submission does not compile: expected ':' (line 1)"
    assert [t["status"] for t in data["tests"]] == ["error"] * 4
    assert data["tests"][0]["name"] == "test add small numbers"  # as Exercism's runner names a test function
    assert data["tests"][0]["test_code"] == "assert submission.add(2, 3) == 5"
    assert data["tests"][0]["task_id"] == 0


def test_exercism_status_is_fail_not_error_when_some_tests_ran_before_a_timeout():
    """Exercism's spec: "error" only when no test ran. Two toy tests pass before the submission loops."""
    looping = Path(__file__).parent / "golden" / "timeout" / "submission.py"
    done = grade(str(looping), "--format", "exercism")
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["status"] == "fail" and "message" not in data
    assert [t["status"] for t in data["tests"]] == ["pass", "pass", "error", "error"]
    assert data["tests"][2]["message"].startswith("the time limit of 5 s was reached while running train()")


def test_per_submission_formats_write_one_file_each_for_a_batch(submissions, tmp_path):
    out = tmp_path / "gradescope"
    done = grade(str(submissions), "--format", "gradescope", "--output", str(out))
    assert done.returncode == 1
    written = sorted(str(p.relative_to(out)) for p in out.rglob("results.json"))
    assert written == ["alice/results.json", "bob/results.json", "carol/results.json"]
    assert json.loads((out / "alice" / "results.json").read_text())["score"] == 7
    batch = json.loads(grade(str(submissions), "--format", "exercism").stdout)
    assert [(Path(r["submission"]).name, r["status"]) for r in batch] == [
        ("alice.py", "pass"),
        ("bob.py", "fail"),
        ("carol.py", "error"),
    ]


def test_a_submitted_conftest_is_graded_as_code_not_loaded_as_a_plugin(tmp_path):
    from .helpers import BENIGN

    conftest = tmp_path / "conftest.py"
    shutil.copy(BENIGN / "fake_conftest.py", conftest)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:quiz.grading.reporter --co\n")
    done = grade(str(conftest), cwd=tmp_path)
    assert done.returncode == 1
    assert "conftest.py: FAIL  0/7 points" in done.stdout


def test_progress_is_a_bar_on_a_terminal(submissions):
    """stderr is a real pseudo-terminal here, as when a person runs the command."""
    import pty
    import sys

    leader, follower = pty.openpty()
    command = QUIZ or [sys.executable, "-m", "quiz"]
    done = subprocess.run(
        [
            *command,
            "grade",
            str(TOY),
            str(submissions / "alice.py"),
            str(submissions / "bob.py"),
            "--timeout",
            "5",
            "--memory",
            str(MEMORY_MB),
        ],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
        timeout=120,
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    assert done.returncode == 1
    assert b"\r[" + b"#" * 30 + b"] 2/2 graded" in drawn
    assert b"[1/2] " not in drawn


@pytest.mark.parametrize("form", ["text", "json", "junit", "gradescope", "exercism"])
def test_escapes_and_lone_surrogates_from_a_submission_cannot_break_a_format_or_lose_the_batch(
    form, submissions, tmp_path
):
    hostile = Path(__file__).parent / "fixtures" / "hostile" / "control_characters.py"
    table = tmp_path / "summary.csv"
    done = grade(str(hostile), str(submissions / "alice.py"), "--format", form, "--csv", str(table))
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\x00" not in done.stdout
    if form == "junit":
        ET.fromstring(done.stdout)  # well-formed XML
    elif form != "text":
        json.loads(done.stdout)
    assert "ValueError: bad ?[8mvalue" in done.stdout
    assert [row["status"] for row in csv.DictReader(table.open())] == ["fail", "pass"]


def test_submissions_with_the_same_file_name_get_folders_that_say_which_is_which(tmp_path):
    for folder, body in (("a", "return a + b"), ("b", "return a - b")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.py").write_text(
            f"def add(a, b):\n    {body}\n\n\ndef train(values, epochs=1):\n    return sum(values) / len(values)\n"
        )
    shutil.copy(tmp_path / "a" / "x.py", tmp_path / "a" / "x-2.py")  # a real file named like a renamed one
    out = tmp_path / "out"
    done = grade(
        str(tmp_path / "a" / "x.py"),
        str(tmp_path / "b" / "x.py"),
        str(tmp_path / "a" / "x-2.py"),
        "--format",
        "exercism",
        "--output",
        str(out),
    )
    statuses = {p.parent.name: json.loads(p.read_text())["status"] for p in out.glob("*/results.json")}
    assert statuses == {"x": "pass", "x-3": "fail", "x-2": "pass"}
    assert f"{tmp_path / 'b' / 'x.py'} -> {out / 'x-3' / 'results.json'}" in done.stderr


def test_a_file_given_as_the_output_folder_of_a_batch_is_refused_before_grading(submissions, tmp_path):
    target = tmp_path / "afile"
    target.write_text("keep me\n")
    done = grade(str(submissions), "--format", "gradescope", "--output", str(target))
    assert done.returncode == 2
    assert done.stderr.strip().endswith(f"{target} is a file")
    assert "graded" not in done.stderr and target.read_text() == "keep me\n"

"""Hostile solutions to an Exercism exercise (tests/grading/fixtures/exercism_attacks/, each file's first line says
what it attacks), graded in one batch beside the correct solution, as a grader would: none is a trusted pass, none
makes the grader print a traceback, and the correct one keeps its pass.

`queued_answers.py` is the one allowed to pass: it hard-codes the answers to the tests' fixed inputs (sent ahead on the
channel, which is the same as returning 512 and 0.4). A suite whose inputs are known can be passed so by any
grader; what crosses is still only the data the solution chose. It passes only when the tests run in the order
it queued its answers for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ATTACKS = Path(__file__).parent / "fixtures" / "exercism_attacks"
HARD_CODED = {"queued_answers.py"}
ADVISORY_ATTACKS = ["advisory_weight_overflow.py", "advisory_report_flood.py"]


def grade(
    exercise: str, files: list[Path], timeout_s: float = 4
) -> tuple[dict[str, dict], subprocess.CompletedProcess]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "grade",
            str(ATTACKS / exercise),
            *map(str, files),
            "--jobs",
            "2",
            "--format",
            "json",
            "--timeout",
            str(timeout_s),
            "--memory",
            "512",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    results = {Path(r["submission"]).name: r for r in json.loads(done.stdout)["results"]}
    return results, done


def test_every_attack_has_its_reason_on_its_first_line():
    for path in ATTACKS.glob("*.py"):
        assert path.read_text().startswith(("# attack: ", "# reference", "# the correct solution")), path.name


def test_no_attack_is_a_trusted_pass_and_the_correct_solution_keeps_its_own():
    """One test for the whole batch (xdist would otherwise grade it once per worker)."""
    results, done = grade("exercise", sorted(p for p in ATTACKS.glob("*.py") if p.name != "reference_advisory.py"))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert results["reference.py"]["status"] == "pass" and results["reference.py"]["score"] == 4
    assert len(results) == len(list(ATTACKS.glob("*.py"))) - 1  # every attack and the reference
    for name, result in results.items():
        assert result["advisory"] is False, name  # the folder's own solution says the suite needs data only
        if name != "reference.py" and name not in HARD_CODED:
            assert result["status"] != "pass", (name, result["message"])

    status = {name: result["status"] for name, result in results.items()}
    assert {status[n] for n in ("fork_bomb.py", "memfd_bomb.py")} == {"memory"}
    assert {status[n] for n in ("loop_in_call.py", "stop_self.py", "loop_in_describe.py")} == {"timeout"}
    assert {status[n] for n in ("exit_at_import.py", "exit_in_call.py", "forge_fds.py", "signals.py")} == {"error"}
    assert status["patch_asserts.py"] == status["eq_always_true.py"] == status["builtin_subclasses.py"] == "fail"
    assert "protocol violation" in results["tamper_probes.py"]["message"]
    for name in ("read_host.py", "escape_codes.py"):
        text = json.dumps(results[name])
        assert "quiz/grading/runner.py" not in text and "\x1b" not in text and "\\u001b" not in text, name


def test_an_advisory_run_cannot_flood_the_grader_or_break_its_formats():
    """Where the tests do run in the submission's process, what it sends the grader is still bounded: weights
    that add up to infinity, or an endless stream of valid report lines, make that run an error, and the
    correct solution beside it keeps its (advisory) pass. A time limit the attacks never reach: the split run
    before the advisory one takes its share of the limit, and on a loaded machine 4 s left the advisory run no
    time at all ("the time limit left no time to run the tests in the submission's process", advisory False)."""
    files = [ATTACKS / name for name in (*ADVISORY_ATTACKS, "reference_advisory.py")]
    results, done = grade("exercise_advisory", files, timeout_s=30)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
    assert results["reference_advisory.py"]["status"] == "pass" and results["reference_advisory.py"]["advisory"]
    for name in ADVISORY_ATTACKS:
        assert results[name]["status"] == "error" and results[name]["advisory"] is True, name
        assert "the report channel" in results[name]["message"], name
        assert len(results[name]["message"]) < 5000, name


def test_with_an_example_shipped_the_example_decides_too():
    results, _ = grade("exercise_with_example", [ATTACKS / "eq_always_true.py", ATTACKS / "reference.py"])
    assert results["reference.py"]["status"] == "pass"
    assert results["eq_always_true.py"]["status"] != "pass" and results["eq_always_true.py"]["advisory"] is False

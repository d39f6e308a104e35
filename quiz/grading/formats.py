"""Result formats: text, our JSON, JUnit XML, Gradescope and Exercism results.json, and the CSV summary.

How each format covers a batch (several submissions):
- text: one block per submission (its tests), then one summary table.
- json: always one object for the batch, `{"version", "exercise", "summary", "results": [...]}`.
- junit: one <testsuite> per submission inside <testsuites>.
- gradescope / exercism: these formats describe ONE submission. With one submission the output is that
  results.json object. With several, `--output DIR` writes DIR/<file stem>/results.json for each (a stem that
  repeats gets -2, -3...; the command lists those), and without --output standard output gets a JSON array of
  the objects (each with a "submission" field added).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from quiz.grading.results import SubmissionResult, batch_to_dict, first_line

SYMBOLS = {"pass": "ok", "fail": "FAIL", "error": "ERROR", "skip": "skip"}


def submission_label(result: SubmissionResult) -> str:
    return Path(result.submission).name


def points(value: float) -> str:
    return f"{value:g}"


def seconds(value: float) -> str:
    """A JUnit time attribute: always a finite number (XML readers reject nan and inf)."""
    return f"{value:.3f}" if math.isfinite(value) else "0.000"


def render_text(results: list[SubmissionResult]) -> str:
    lines = []
    for result in results:
        status = result.status.upper() + (" (ADVISORY)" if result.advisory else "")
        lines.append(
            f"{submission_label(result)}: {status}  "
            f"{points(result.score)}/{points(result.max_score)} points  {result.duration:.1f} s"
        )
        for test in result.tests:
            kind = f"  [{test.verdict}]" if test.verdict else ""
            if test.parent is not None:  # a subtest, under the test it ran in
                lines.append(f"      {SYMBOLS[test.status]:<5} {test.name[len(test.parent) + 1 :]}")
            else:
                lines.append(
                    f"  {SYMBOLS[test.status]:<5} {test.name}  ({points(test.score)}/{points(test.weight)}){kind}"
                )
            if test.status in ("fail", "error") and test.message:
                lines.extend("        " + line for line in test.message.splitlines()[:6])
        if result.status != "pass" or result.advisory:
            lines.append(f"  -> {result.message}")
        lines.append("")
    if len(results) > 1:
        lines.append(summary_table(results))
    return "\n".join(lines).rstrip() + "\n"


def summary_table(results: list[SubmissionResult]) -> str:
    rows = [("submission", "status", "score", "tests passed", "time")]
    for r in results:
        counted = [t for t in r.tests if t.status != "skip" and t.parent is None]
        rows.append(
            (
                submission_label(r),
                r.status + (" (advisory)" if r.advisory else ""),
                f"{points(r.score)}/{points(r.max_score)}",
                f"{sum(t.status == 'pass' for t in counted)}/{len(counted)}",
                f"{r.duration:.1f} s",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    out.insert(1, "  ".join("-" * w for w in widths))
    passed = sum(r.passed for r in results)
    advisory = sum(r.advisory for r in results)
    out.append(
        f"{passed} of {len(results)} submissions passed"
        + (
            f"; {advisory} graded as advisory (the tests ran in the submission's own process, which could have "
            "forged the verdict)"
            if advisory
            else ""
        )
    )
    return "\n".join(out)


def render_json(exercise: str, results: list[SubmissionResult]) -> str:
    return json.dumps(batch_to_dict(exercise, results), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def render_junit(exercise: str, results: list[SubmissionResult]) -> str:
    suites = ET.Element("testsuites", name=f"quiz grade {exercise}")
    for result in results:
        counted = [t for t in result.tests if t.status != "skip"]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=submission_label(result),
            tests=str(len(result.tests) or 1),
            failures=str(sum(t.status == "fail" for t in counted)),
            errors=str(sum(t.status == "error" for t in counted) + (not result.tests)),
            skipped=str(sum(t.status == "skip" for t in result.tests)),
            time=seconds(result.duration),
        )
        props = ET.SubElement(suite, "properties")
        for key, value in (
            ("status", result.status),
            ("score", points(result.score)),
            ("max_score", points(result.max_score)),
            ("message", result.message),
            ("advisory", str(result.advisory).lower()),
        ):
            ET.SubElement(props, "property", name=key, value=value)
        if not result.tests:  # nothing collected: one synthetic case so CI shows the reason
            case = ET.SubElement(suite, "testcase", classname=submission_label(result), name="collection", time="0")
            ET.SubElement(case, "error", message=result.message).text = result.message
        for test in result.tests:
            case = ET.SubElement(
                suite, "testcase", classname=submission_label(result), name=test.name, time=seconds(test.duration)
            )
            if test.verdict:  # as pytest's own record_property writes it
                ET.SubElement(ET.SubElement(case, "properties"), "property", name="verdict", value=test.verdict)
            if test.status in ("fail", "error"):
                tag = "failure" if test.status == "fail" else "error"
                ET.SubElement(case, tag, message=first_line(test.message)).text = test.message
            elif test.status == "skip":
                ET.SubElement(case, "skipped", message=test.message)
            if test.output:
                ET.SubElement(case, "system-out").text = test.output
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


OUTPUT_CAP = 500  # Exercism's limit on a test's output


def verdict_note(test, advisory: bool = False) -> str:
    """One line saying how the test's verdict was reached (results.py: TestResult.verdict)."""
    if advisory:
        return "[verdict: advisory: the tests ran in the submission's own process, which could have forged it]"
    return {
        "recomputed": "[verdict: recomputed by the grader from the submission's data]",
        "reported": "[verdict: reported by a probe in the submission's process]",
    }.get(test.verdict or "", "")


def gradescope(result: SubmissionResult) -> dict:
    """Gradescope's results.json: tests get their weight as max_score; hidden tests are not a thing here."""
    tests = []
    for test in result.tests:
        if test.status == "skip":
            continue
        output = "\n".join(part for part in (test.message, test.output, verdict_note(test, result.advisory)) if part)
        tests.append(
            {
                "name": test.name,
                "score": test.score,
                "max_score": test.weight,
                "status": "passed" if test.status == "pass" else "failed",
                "output": output,
                "visibility": "visible",
            }
        )
    return {
        "score": result.score,
        "max_score": result.max_score,
        "output": result.message,
        "execution_time": round(result.duration, 3),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def exercism(result: SubmissionResult) -> dict:
    """Exercism's results.json, version 3, as its Python test runner writes it: a top-level status (and message
    when no test ran), tests named "Class > test [variation #1]", task_id 0 when none, the runner's order."""
    ran = [t for t in result.tests if t.status != "skip"]
    # Exercism: "error" only when no test ran; a timeout or crash after some tests ran is a "fail".
    if result.passed:
        status = "pass"
    elif not ran or all(t.status == "error" for t in ran):
        status = "error"
    else:
        status = "fail"
    data: dict = {"version": 3, "status": status}
    if status == "error":
        data["message"] = result.message
    with_subtests = {t.parent for t in ran if t.parent is not None}
    tests = []
    for test in ran:
        entry = {
            "name": exercism_name(test),
            "status": test.status,
            "test_code": test.test_code,
            "task_id": test.task_id or 0,
        }
        if (
            test.status != "pass"
            and test.name in with_subtests
            and any(t.parent == test.name and t.status == "fail" for t in ran)
        ):
            entry["message"] = VARIATIONS_FAILED
        elif test.status != "pass" and test.message.strip():
            entry["message"] = test.message
        output = "" if test.name in with_subtests else test.output  # a test's subtests show its output
        note = verdict_note(test, result.advisory)
        if output or note:  # Exercism shows at most 500 characters: the note is kept, the output's head cut
            joined = "\n".join(part for part in (output, note) if part)
            entry["output"] = (
                joined if len(joined) <= OUTPUT_CAP else output[: OUTPUT_CAP - len(note) - 1] + "\n" + note
            )
        tests.append(entry)
    if any(entry["name"].endswith("~") for entry in tests):  # a concept exercise: by task, then by name
        tests.sort(key=lambda entry: (entry["task_id"], entry["name"]))
    else:
        tests.sort(key=lambda entry: entry["task_id"])
    data["tests"] = tests
    return data


VARIATIONS_FAILED = "One or more variations of this test failed. Details can be found under each [variant#]."
_CLASS_AND_TEST = re.compile(r"^(.+)(Test\.test_)")


def exercism_name(test) -> str:
    """`path::ClassTest::test_some_thing` -> `Class > some thing`; a subtest adds its description up to its
    parameters (`[variation #2]`); a test of a task gets a `~` (the runner's mark that sorts it after its subtests)."""
    if test.parent is not None:
        description = test.name[len(test.parent) + 1 :]
        short = description.split(" (")[0] if description.startswith("[") else description
        name = ".".join(test.parent.split("::")[1:]) + " " + short
    else:
        name = ".".join(test.name.split("::")[1:]) or test.name
    name = _CLASS_AND_TEST.sub(r"\1 > ", name).replace("_", " ")
    if "[variation" not in name and (test.task_id or 0) > 0:
        name += "~"
    return name


PER_SUBMISSION = {"gradescope": gradescope, "exercism": exercism}


def render_per_submission(kind: str, results: list[SubmissionResult]) -> str:
    convert = PER_SUBMISSION[kind]
    if len(results) == 1:
        return json.dumps(convert(results[0]), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    batch = [{"submission": r.submission, **convert(r)} for r in results]
    return json.dumps(batch, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def folder_names(submissions: list[str]) -> list[str]:
    """A folder name per submission: its file's stem; when stems repeat (a/x.py, b/x.py), the later ones get
    x-2, x-3, ..., never the stem of another submission."""
    stems = [Path(submission).stem for submission in submissions]
    taken = set(stems)
    first_seen: set[str] = set()
    names = []
    for stem in stems:
        if stem not in first_seen:
            first_seen.add(stem)
            names.append(stem)
            continue
        number = 2
        while f"{stem}-{number}" in taken:
            number += 1
        taken.add(f"{stem}-{number}")
        names.append(f"{stem}-{number}")
    return names


def write_per_submission(kind: str, results: list[SubmissionResult], folder: Path) -> dict[str, Path]:
    """DIR/<name>/results.json for each submission (the layout both platforms expect); submission -> file."""
    convert = PER_SUBMISSION[kind]
    written = {}
    for result, name in zip(results, folder_names([r.submission for r in results])):
        target = folder / name / "results.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            json.dumps(convert(result), indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8"
        )
        written[result.submission] = target
    return written


def render_csv(results: list[SubmissionResult]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["submission", "status", "score", "max_score", "tests_passed", "tests", "duration_s", "message", "advisory"]
    )
    for r in results:
        counted = [t for t in r.tests if t.status != "skip" and t.parent is None]
        writer.writerow(
            [
                r.submission,
                r.status,
                points(r.score),
                points(r.max_score),
                sum(t.status == "pass" for t in counted),
                len(counted),
                f"{r.duration:.2f}",
                first_line(r.message),
                str(r.advisory).lower(),
            ]
        )
    return buffer.getvalue()

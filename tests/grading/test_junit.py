"""`quiz grade --format junit` validates against the JUnit schema CI systems check reports with (the Jenkins xunit
plugin's junit-10.xsd, as pytest keeps it), for a batch with every outcome: passes, failures, an error, a skip,
subtests, and a submission whose tests cannot even be collected."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema

DATA = Path(__file__).parents[1] / "data"
EXERCISE = DATA / "exercises" / "junit_mix"
SCHEMA = DATA / "junit" / "junit-10.xsd"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("junit") / "report.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "quiz",
            "grade",
            str(EXERCISE),
            str(EXERCISE / "submissions"),
            "--format",
            "junit",
            "--output",
            str(out),
            "--jobs",
            "2",
            "--timeout",
            "60",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr  # not every submission passed
    return out


def test_the_report_validates_against_junit_10_xsd(report):
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(report))


def test_pytests_own_error_element_is_what_the_schema_accepts(tmp_path):
    """The schema is the one pytest's writer targets: its own report of an erroring test validates too."""
    (tmp_path / "test_broken.py").write_text(
        "import pytest\n@pytest.fixture\ndef f():\n    raise ValueError\ndef test_x(f):\n    pass\n"
    )
    out = tmp_path / "pytest.xml"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={out}",
            "-o",
            "junit_family=xunit2",
            str(tmp_path / "test_broken.py"),
        ],
        capture_output=True,
        cwd=tmp_path,
    )
    assert "<error" in out.read_text()
    xmlschema.XMLSchema(str(SCHEMA)).validate(str(out))


def test_each_suite_counts_what_its_testcases_hold(report):
    suites = {suite.get("name"): suite for suite in ET.parse(report).getroot().iter("testsuite")}
    assert sorted(suites) == ["right.py", "uncollectable.py", "wrong.py"]
    for name, suite in suites.items():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases), name
        for kind, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            assert int(suite.get(attribute)) == sum(case.find(kind) is not None for case in cases), (name, kind)
        assert math.isfinite(float(suite.get("time")))
        assert all(math.isfinite(float(case.get("time"))) for case in cases)
        properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert properties["advisory"] == "false"

    wrong = {case.get("name"): case for case in suites["wrong.py"].findall("testcase")}
    assert (
        wrong["mix_test.py::MixTest::test_half"].find("failure").get("message")
        == "AssertionError: 1.3333333333333333 != 2"
    )
    assert wrong["mix_test.py::MixTest::test_variations [variation #3] (n=3)"].find("failure") is not None
    assert wrong["mix_test.py::MixTest::test_variations [variation #2] (n=2)"].find("failure") is None
    assert wrong["mix_test.py::MixTest::test_later"].find("skipped").get("message") == "not graded this term"
    assert "the exercise's own fixture broke" in wrong["mix_test.py::test_with_a_broken_setup"].find("error").text
    assert wrong["mix_test.py::MixTest::test_double"].find("system-out").text == "doubling 2"

    uncollectable = suites["uncollectable.py"].findall("testcase")
    assert [case.get("name") for case in uncollectable] == ["collection"]
    assert "does not compile: expected ':'" in uncollectable[0].find("error").get("message")

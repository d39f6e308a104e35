"""`quiz validate` and `quiz list` through the real entry point, as a bank author uses them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bank.conftest import QUESTION, VALID_BANK

ROOT = Path(__file__).resolve().parents[2]


def quiz(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "quiz", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_validate_packaged_bank_from_any_directory(tmp_path):
    result = quiz("validate", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ") and "questions in" in result.stdout
    assert "Traceback" not in result.stderr


def test_validate_reports_every_problem_and_exits_1(tmp_path):
    (tmp_path / "typo.yaml").write_text(QUESTION.replace("    answer:", "    anwser:"), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("deck: [\n", encoding="utf-8")
    result = quiz("validate", str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert f"{tmp_path / 'typo.yaml'}:11:5: question 'd.one': unknown key 'anwser'" in lines
    assert any(line.startswith(f"{tmp_path / 'broken.yaml'}:2:1: YAML syntax error") for line in lines)
    assert "problem(s) in 2 file(s)" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_validate_missing_path_is_a_usage_error():
    result = quiz("validate", "/no/such/bank")
    assert result.returncode == 2
    assert result.stderr.strip() == "quiz: no such file or directory: /no/such/bank"


def test_list_json_has_id_type_topic_and_prompt_in_the_chosen_language():
    result = quiz("--bank", str(VALID_BANK), "list", "--json", "--lang", "zh")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert rows[0]["id"] == "sample.open" and rows[0]["type"] == "open" and rows[0]["topic"] == "cost"
    assert rows[0]["prompt"] == "为什么开源框架降低了成本？"


def test_list_filters_by_type_and_topic():
    result = quiz("list", "--bank", str(VALID_BANK), "--type", "choice", "--json", "--lang", "en")
    assert [row["id"] for row in json.loads(result.stdout)] == ["sample.choice"]
    result = quiz("list", "--bank", str(VALID_BANK), "--topic", "cost", "--lang", "en")
    assert result.stdout.split()[0] == "sample.open" and "sample.choice" not in result.stdout


def test_list_with_a_topic_the_bank_lacks_names_the_known_ones():
    result = quiz("list", "--bank", str(VALID_BANK), "--topic", "cots")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "quiz: no topic 'cots' in the bank (known: cost, speed)"


def test_bank_from_environment_variable():
    result = quiz("list", "--json", env={"QUIZ_BANK": str(VALID_BANK)})
    assert [row["id"] for row in json.loads(result.stdout)] == ["sample.open", "sample.choice"]


def test_list_on_an_invalid_bank_says_so_in_one_place(tmp_path):
    (tmp_path / "typo.yaml").write_text(QUESTION.replace("topic: cost", "topik: cost"), encoding="utf-8")
    result = quiz("list", "--bank", str(tmp_path))
    assert result.returncode == 1
    assert "unknown key 'topik'" in result.stderr and "run 'quiz validate" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["validate", "--bogus"], ["list", "--type", "essay"], ["nope"]])
def test_bad_arguments_exit_2(args):
    assert quiz(*args).returncode == 2


def test_a_bank_and_a_data_dir_given_with_a_tilde_are_under_home(tmp_path):
    """`--bank=~/x` reaches quiz unexpanded (the shell expands ~ only at a word's start); so does a ~ in
    $QUIZ_BANK or $QUIZ_DATA_DIR set in a file. Both paths read it the same way."""
    home = tmp_path / "home"
    shutil.copytree(ROOT / "questions", home / "my-bank")
    listed = quiz("list", "--bank=~/my-bank", env={"HOME": str(home)})
    assert listed.returncode == 0, listed.stderr
    assert "cost.open-source-frameworks" in listed.stdout
    stats = quiz("stats", "--json", env={"HOME": str(home), "QUIZ_BANK": "~/my-bank", "QUIZ_DATA_DIR": "~/progress"})
    assert stats.returncode == 0, stats.stderr
    assert (home / "progress" / "progress.sqlite3").is_file()

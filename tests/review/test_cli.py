"""`quiz score`, `quiz stats`, `quiz export` and `quiz settings` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest

from quiz.cli import main
from quiz.review.scorer import ScoreResult
from quiz.review.store import ReviewStore

from .conftest import REPO, REVIEW_BANK


def quiz(*args: str, data_dir=None, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "QUIZ_BANK": str(REVIEW_BANK)}
    env.pop("QUIZ_DATA_DIR", None)
    if data_dir is not None:
        env["QUIZ_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "quiz", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        cwd=REPO,
        timeout=60,
    )


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--bank", str(REVIEW_BANK), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_score_prints_json_with_covered_and_missed_point_ids(tmp_path):
    done = quiz("score", "test.hw-accel", "--json", "--answer", "GPU 并行计算，吞吐量高。")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "id": "test.hw-accel",
        "score": 0.6667,
        "covered": ["throughput", "parallel-hw"],
        "missed": ["latency"],
        "contradicted": [],
        "suggested_rating": 3,
        "evidence": {"throughput": "吞吐量高", "parallel-hw": "GPU 并行计算"},  # the words each point rests on
    }  # no "wrong": not a choice


def test_score_on_a_cached_bank_imports_neither_yaml_nor_tensorflow(tmp_path):
    """`quiz score` must answer fast (< 300 ms as a process): once the bank is cached, PyYAML (~30 ms) is not
    needed, and TensorFlow never is."""
    env = {**os.environ, "QUIZ_BANK": str(REVIEW_BANK), "QUIZ_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-X", "importtime", "-m", "quiz", "score", "test.hw-accel", "--answer", "GPU 并行计算"]
    first = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    again = subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert first.returncode == again.returncode == 0, again.stderr

    def imported(done: subprocess.CompletedProcess) -> set[str]:
        return {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}

    assert "yaml" in imported(first)  # the cold cache parses the bank: the check below can see PyYAML
    assert not {"yaml", "tensorflow", "keras"} & imported(again)


def test_score_text_shows_point_texts_in_the_chosen_language(capsys, tmp_path):
    answer = tmp_path / "answer.txt"
    answer.write_text("Throughput goes up: more data per second.", encoding="utf-8")
    code, out, _ = run(capsys, "--lang", "zh", "score", "test.hw-accel", "--answer-file", str(answer))
    assert code == 0
    assert "+ 提高吞吐量" in out and "- 降低延迟，实现实时推理" in out and "Hard" in out
    code, out, _ = run(capsys, "score", "test.hw-accel", "--lang", "en", "--answer", "mostly better throughput")
    assert "- Lower latency, real-time inference" in out


def test_score_marks_a_contradicted_point_wrong_in_text_and_json():
    answer = "They are not free, you have to pay for a licence, but the community is big."
    done = quiz("score", "test.open-source", "--lang", "en", "--answer", answer)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "test.open-source: score 0.00 (1 of 3 key points, 1 wrong), suggested rating: Again"
    assert "  + Community support" in lines and "  - Pre-trained models, no need to start from scratch" in lines
    assert "  x Free, no licence fees (wrong: the answer states the opposite)" in lines
    # under each verdict, the answer's words it rests on
    assert lines[lines.index("  + Community support") + 1] == "      “but the community is big”"
    assert lines[lines.index("  x Free, no licence fees (wrong: the answer states the opposite)") + 1] == (
        "      “They are not free”"
    )
    figures = json.loads(quiz("score", "test.open-source", "--json", "--answer", answer).stdout)
    assert figures["contradicted"] == ["free"] and figures["covered"] == ["community"]
    assert figures["evidence"] == {"community": "but the community is big", "free": "They are not free"}
    assert figures["missed"] == ["pretrained"] and "wrong" not in figures
    zh = quiz("score", "test.open-source", "--lang", "zh", "--answer", "开源框架其实要收费，不过社区很活跃。")
    assert "  x 免费，无需许可证费用 (wrong: the answer states the opposite)" in zh.stdout.splitlines()


def test_score_reads_the_answer_from_stdin():
    done = quiz("score", "test.open-source", "--json", "--answer-file", "-", stdin="免费，而且有预训练模型可以直接用。")
    assert json.loads(done.stdout)["covered"] == ["free", "pretrained"]


def test_score_refuses_standard_input_that_is_not_utf8():
    done = subprocess.run(
        [sys.executable, "-m", "quiz", "score", "test.open-source", "--answer-file", "-"],
        input="免费".encode("gbk"),
        capture_output=True,
        cwd=REPO,
        timeout=60,
        env={**os.environ, "QUIZ_BANK": str(REVIEW_BANK)},
    )
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == "quiz: standard input is not UTF-8 text\n"


def test_score_a_choice_question_by_option_letters(capsys):
    code, out, _ = run(capsys, "score", "test.pick", "--answer", "a,c", "--json")
    assert code == 0 and json.loads(out) == {
        "id": "test.pick",
        "score": 1.0,
        "covered": ["a", "c"],
        "missed": [],
        "suggested_rating": 3,
        "wrong": [],
    }
    code, _, err = run(capsys, "score", "test.pick", "--answer", "GPU")
    assert code == 2 and err.count("\n") == 1 and "option letters among a, b, c" in err


def test_score_names_the_wrong_options_chosen():
    done = quiz("score", "test.pick", "--json", "--answer", "b a")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "id": "test.pick",
        "score": 0.0,
        "covered": ["a"],
        "missed": ["c"],
        "suggested_rating": 1,
        "wrong": ["b"],
    }
    done = quiz("--lang", "en", "score", "test.pick", "--answer", "b,a")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "test.pick: score 0.00 (1 of 2 correct option(s), 1 wrong), suggested rating: Again",
        "  + a) GPU",
        "  - c) TPU",
        "  x b) Floppy disk (wrong)",
    ]
    done = quiz("--lang", "zh", "score", "test.single", "--answer", "b")
    assert "x b) 某商业软件 (wrong)" in done.stdout and "- a) TensorFlow" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["score", "no.such.question", "--answer", "x"], "no question with id 'no.such.question'"),
        (["score", "test.hw-accel", "--answer-file", "/nonexistent/answer.txt"], "no such file"),
    ],
)
def test_score_usage_errors_are_one_line_and_exit_2(args, message):
    done = quiz(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr


def test_stats_and_export_show_the_recorded_history(tmp_path, capsys):
    with ReviewStore.open(tmp_path) as store:
        session = store.start_session("practice")
        store.record_attempt(
            session,
            "test.hw-accel",
            '吞吐量, "quoted"\nsecond line',
            ScoreResult("test.hw-accel", 0.4, ("throughput",), ("latency", "parallel-hw"), 2),
            30,
        )
        store.rate("test.hw-accel", 2, now=datetime(2026, 1, 1, tzinfo=timezone.utc))
        store.record_attempt(session, "deleted.question", "old", None, 5)
    done = quiz("stats", "--json", data_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["topics"]["speed"]["accuracy"] == 0.4 and figures["topics"]["speed"]["due_now"] == 1
    assert figures["removed_questions"] == ["deleted.question"]
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "--lang", "en", "stats")
    assert code == 0 and "speed" in out and "40%" in out and "deleted.question" in out
    code, out, _ = run(capsys, "--data-dir", str(tmp_path), "--lang", "zh", "stats")
    lines = out.splitlines()
    assert lines[0].split() == ["主题", "题数", "作答", "正确率", "复习", "通过率", "现在到期", "7", "天内到期", "未学"]
    assert lines[-2] == "最近 7 天复习：0" and lines[-1] == "已不在题库中的题目的记录：deleted.question"
    from rich.cells import cell_len

    table = lines[:-2]
    right_edges = {cell_len(line) for line in table}  # every row ends where the header's last column ends
    assert right_edges == {cell_len(lines[0])}, table

    code, out, _ = run(capsys, "export", "--format", "csv", "--data-dir", str(tmp_path))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["kind"] for r in rows] == ["review", "attempt", "attempt"]  # in time order (the review is older)
    assert rows[1]["answer"] == '吞吐量, "quoted"\nsecond line' and rows[1]["missed"] == "latency parallel-hw"
    assert rows[0]["rating"] == "2" and rows[2]["question_id"] == "deleted.question"
    target = tmp_path / "out" / "history.json"
    target.parent.mkdir()
    code, out, err = run(capsys, "export", "--format", "json", "--output", str(target), "--data-dir", str(tmp_path))
    assert code == 0 and out == "" and "2 answer(s) and 1 review(s)" in err
    history = json.loads(target.read_text(encoding="utf-8"))
    assert len(history["attempts"]) == 2 and history["reviews"][0]["question_id"] == "test.hw-accel"
    assert [p.name for p in target.parent.iterdir()] == ["history.json"]


def test_export_to_an_unwritable_place_is_one_line(tmp_path, capsys):
    code, _, err = run(
        capsys,
        "--data-dir",
        str(tmp_path),
        "export",
        "--format",
        "json",
        "--output",
        str(tmp_path / "missing-dir" / "h.json"),
    )
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err


def test_a_corrupt_store_is_reported_moved_aside_and_the_command_still_runs(tmp_path):
    (tmp_path / "progress.sqlite3").write_bytes(b"\x00garbage" * 1000)
    done = quiz("stats", data_dir=tmp_path)
    assert done.returncode == 0 and "topic" in done.stdout
    assert done.stderr.count("\n") == 1 and "unreadable" in done.stderr and "moved it to" in done.stderr
    assert "Traceback" not in done.stderr
    (moved,) = [p for p in tmp_path.iterdir() if ".unreadable-" in p.name]
    assert str(moved) in done.stderr and moved.read_bytes() == b"\x00garbage" * 1000


def test_a_store_from_a_newer_version_exits_1_with_one_line(tmp_path):
    import sqlite3

    ReviewStore.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "progress.sqlite3")
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    done = quiz("export", "--format", "json", data_dir=tmp_path)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "newer quiz" in done.stderr


def test_settings_show_change_and_refuse_bad_values(tmp_path, capsys):
    code, out, _ = run(capsys, "settings", "--data-dir", str(tmp_path), "--new-per-day", "7", "--retention", "0.85")
    assert code == 0 and "new_per_day: 7" in out and "desired_retention: 0.85" in out
    code, _, err = run(capsys, "settings", "--data-dir", str(tmp_path), "--retention", "1.2")
    assert code == 2 and "between 0.70 and 0.99" in err
    code, out, _ = run(capsys, "settings", "--data-dir", str(tmp_path))
    assert "new_per_day: 7" in out and "desired_retention: 0.85" in out


def test_a_data_dir_that_is_a_file_is_one_line_and_exit_1(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    done = quiz("export", "--format", "csv", "--data-dir", str(blocker))
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "cannot create the data directory" in done.stderr
    assert blocker.read_text() == "x"

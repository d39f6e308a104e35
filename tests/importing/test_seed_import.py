"""`quiz import-doc` on the project's own source document (tests/data/documents/seed.md, a verbatim copy of the
interview article the packaged bank was written from, its bugs included), through the real entry point.

What a user relies on: the draft validates; it has the document's five questions, each carrying every bullet of
every pass that asks it and saying everything the packaged bank's key points say; both programming tasks; every
code block, the one that does not parse kept and flagged; and it scores the packaged bank's labelled answers about
as the packaged bank does."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from quiz.bank import load_bank
from quiz.importing.document import read
from quiz.review.scorer import score_answer
from tests.bank.test_cli import quiz
from tests.importing.parity import ANSWERS, FROZEN, FROZEN_3, SEED, matching, means

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "questions"


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("import") / "seed"
    result = quiz("import-doc", str(SEED), "--output", str(folder), "--deck", "seed")
    assert result.returncode == 0, result.stdout + result.stderr
    return folder, result


@pytest.fixture(scope="module")
def bank(imported):
    return load_bank(imported[0])


@pytest.fixture(scope="module")
def packaged():
    return load_bank(PACKAGED)


def test_the_draft_validates_and_the_report_says_what_was_made(imported):
    folder, result = imported
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{SEED} -> {folder}: 1 deck(s) in zh, 7 question(s) (5 open, 2 code-review), "
        f"{lines[0].split('code-review), ')[1]}"
    )
    assert re.search(
        r"\d+ key point\(s\) \(\d+ repeated bullet\(s\) merged\), 8 snippet\(s\) \(1 kept broken\)$", lines[0]
    )
    assert (
        f"{SEED}:194: note: Python code does not parse (invalid syntax (snippet line 9)): kept as written, "
        "marked broken" in lines
    )
    assert lines[-1] == f"next: review {folder}, then `quiz validate {folder}` and `quiz --bank {folder}`"
    validated = quiz("validate", str(folder))
    assert validated.returncode == 0, validated.stdout
    assert validated.stdout.splitlines()[-1] == "ok: 7 questions in 1 file(s) are valid"
    assert "Python snippet kept as written, marked broken: invalid syntax (snippet line 9)" in validated.stdout


def test_the_five_questions_are_there_once_each_with_the_lines_of_every_pass(bank, packaged):
    found = matching(bank, packaged)
    assert len({q.id for q in found.values()}) == 5
    assert [q.type for q in found.values()] == ["open"] * 5
    assert all(q.languages == ("zh",) for q in bank.questions)
    assert found["cost.open-source-frameworks"].source == (
        "seed.md: AI 技术的成本与速度优势 › AI 技术的成本优势 › 开源框架的兴起, line 13; asked again at line 174, 324"
    )
    assert found["summary.industry-impact"].source == "seed.md: AI 技术的成本与速度优势 › 结论, line 65"


def test_every_bullet_of_every_pass_is_in_a_key_point(bank, packaged):
    document = read(SEED.read_text(encoding="utf-8"))
    by_prompt = {q.prompt("zh").split("\n\n")[0].strip(): q for q in bank.questions}
    bullets = 0
    for question in document.questions:
        imported = by_prompt[question.passes[0].prompt.strip()]
        points = " ".join(point.point.zh for point in imported.key_points)
        for one in question.passes:
            for bullet in one.bullets:
                bullets += 1
                assert bullet.text in points, (imported.id, bullet.label, bullet.text)
    assert bullets == 42  # 15 in the first answers, 14 and 13 in the two later passes


def test_the_import_says_everything_the_packaged_key_points_say(bank, packaged):
    """Each packaged key point is covered, as the packaged bank's own scorer judges, by one imported point."""
    uncovered = []
    for qid, imported in matching(bank, packaged).items():
        question = packaged.by_id[qid]
        for point in question.key_points:
            if not any(point.id in score_answer(question, mine.point.zh).covered for mine in imported.key_points):
                uncovered.append(f"{qid}.{point.id}")
    assert uncovered == []


def test_both_programming_tasks_are_code_review_questions_with_the_documents_code(bank):
    tasks = [q for q in bank.questions if q.type == "code-review"]
    assert [q.prompt.zh.splitlines()[0] for q in tasks] == [
        "编写一个 Python 程序，使用 TensorFlow 实现一个简单的神经网络，并在数据并行训练过程中加速训练过程。",
        "编写一个 Python 程序，使用 TensorFlow 和 GPU 实现一个简单的神经网络，并利用 GPU 加速训练过程。",
    ]
    seed = SEED.read_text(encoding="utf-8")
    for task in tasks:
        assert len(task.code) == 1 and task.code[0].source in seed and "model.fit(" in task.code[0].source
        assert task.code[0].source in task.answer.zh
        assert task.key_points  # from the document's 解析
    assert "MirroredStrategy" in tasks[0].key_points[0].point.zh


def test_every_code_block_of_the_document_is_a_snippet(bank):
    fences = re.findall(r"```python\n(.*?)```", SEED.read_text(encoding="utf-8"), re.DOTALL)
    assert len(fences) == 10
    snippets = [snippet for question in bank.questions for snippet in question.code]
    sources = {" ".join(snippet.source.split()) for snippet in snippets}
    assert all(" ".join(fence.split()) in sources for fence in fences)
    broken = [snippet for snippet in snippets if snippet.broken]
    assert len(broken) == 1 and "tf.keras.layers GlobalAveragePooling2D()(x)" in broken[0].source
    assert "不能解析" in broken[0].title.zh


def test_importing_again_gives_the_same_ids_and_never_overwrites_without_force(imported, tmp_path):
    folder, _ = imported
    copy = tmp_path / "seed"
    shutil.copytree(folder, copy)
    (copy / "seed.yaml").write_text((copy / "seed.yaml").read_text(encoding="utf-8") + "# my edits\n", encoding="utf-8")
    refused = quiz("import-doc", str(SEED), "--output", str(copy), "--deck", "seed")
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"quiz: {copy / 'seed.yaml'} already exists; pass --force to replace it"
    assert (copy / "seed.yaml").read_text(encoding="utf-8").endswith("# my edits\n")
    again = quiz("import-doc", str(SEED), "--output", str(copy), "--deck", "seed", "--force")
    assert again.returncode == 0, again.stderr
    assert [q.id for q in load_bank(copy).questions] == [q.id for q in load_bank(folder).questions]


@pytest.mark.parametrize("directory", [ANSWERS, FROZEN, FROZEN_3], ids=["tuning", "frozen", "frozen-3"])
def test_the_draft_scores_labelled_answers_within_10_points_of_the_packaged_bank(bank, packaged, directory):
    """As a user gets it: imported with the bank in use (the packaged one) lending its everyday phrasings.
    tests/importing/parity.py prints these figures, and those of a draft made from the document's words alone."""
    count, packaged_mean, imported_mean = means(matching(bank, packaged), packaged, directory)
    assert count >= 20
    assert abs(imported_mean - packaged_mean) <= 10, (packaged_mean, imported_mean)

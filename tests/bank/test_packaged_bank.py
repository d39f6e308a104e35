"""The bank that ships with quiz: valid, complete, bilingual, and its code parses."""

from __future__ import annotations

import ast

import pytest

from quiz import paths
from quiz.bank import load_bank

DOCUMENT_QUESTIONS = [
    "cost.open-source-frameworks",
    "cost.hardware-prices",
    "speed.parallel-processing",
    "speed.hardware-acceleration",
    "summary.industry-impact",
]


@pytest.fixture(scope="module")
def bank():
    return load_bank(paths.packaged_bank_dir(), set(paths.exercise_names()))


def test_every_document_question_is_there_with_key_points(bank):
    for qid in DOCUMENT_QUESTIONS:
        question = bank.by_id[qid]
        assert question.type == "open"
        assert len(question.key_points) >= 3, qid
        assert question.source, qid


def test_beyond_the_document_there_are_choice_and_code_review_questions(bank):
    extra = [q for q in bank.questions if q.id not in DOCUMENT_QUESTIONS and q.type != "exercise"]
    assert len(extra) >= 20
    assert {"choice", "code-review"} <= {q.type for q in extra}


def test_each_exercise_has_a_question(bank):
    shipped = set(paths.exercise_names())
    assert {"data_parallel", "gpu_training", "multi_worker"} <= shipped
    assert {q.exercise for q in bank.questions if q.type == "exercise"} == shipped


def test_every_python_snippet_parses(bank):
    snippets = [(q.id, s.source) for q in bank.questions for s in q.code if s.language == "python"]
    assert snippets
    for qid, source in snippets:
        ast.parse(source, filename=qid)


def test_the_documents_bugs_are_corrected_in_the_snippets(bank):
    sources = "\n".join(s.source for q in bank.questions if q.id in DOCUMENT_QUESTIONS for s in q.code)
    assert "layers GlobalAveragePooling2D" not in sources
    assert "GlobalAveragePooling2D()" in sources
    # The data-parallel example builds the model inside the strategy's scope.
    parallel = "\n".join(s.source for s in bank.by_id["speed.parallel-processing"].code)
    assert "with strategy.scope():" in parallel
    scope_at = parallel.index("with strategy.scope():")
    assert parallel.index("Sequential") > scope_at or parallel.index("build_model") > scope_at


def test_both_languages_are_filled_in(bank):
    for q in bank.questions:
        for text in (q.prompt, q.answer, *[kp.point for kp in q.key_points]):
            assert text.zh.strip() and text.en.strip(), q.id
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text.zh), f"{q.id}: zh text has no Chinese"

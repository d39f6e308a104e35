"""The real exercise, graded in the sandbox: TensorFlow runs inside it (import ~7 s, a run ~20 s on 2 cores).
The reference must pass with full marks; the source document's mistake must fail on the training tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz import paths
from quiz.grading.runner import grade_batch

EXERCISE = paths.exercises_dir() / "data_parallel"
WRONG = Path(__file__).parent / "fixtures" / "data_parallel" / "built_outside_scope.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (EXERCISE / "tests").is_dir(), reason="exercises/data_parallel/tests is not there yet"),
]


def test_reference_passes_and_the_documents_mistake_fails():
    reference, wrong = grade_batch(EXERCISE, [EXERCISE / "reference.py", WRONG], jobs=2, timeout=300,
                                   memory_mb=3072)
    assert reference.status == "pass", reference.message
    assert reference.score == reference.max_score > 0
    assert wrong.status == "fail", wrong.message
    by_name = {t.name.split("::")[1]: t for t in wrong.tests}
    assert by_name["test_preprocess_flattens_and_scales_images"].status == "pass"
    failed = [t for t in wrong.tests if t.status == "fail"]
    assert failed and all(t.name.split("::")[1].startswith(("test_train", "test_one_step")) for t in failed)
    assert any("Strategy" in t.message or "strategy" in t.message for t in failed), \
        [t.message for t in failed]
    assert 0 < wrong.score < wrong.max_score

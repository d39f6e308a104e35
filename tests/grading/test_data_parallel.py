"""The real exercise, graded: TensorFlow runs in the submission's sandboxed process (import ~7 s, a run ~20 s on
2 cores); the suite decides in its own. The reference is graded in tests/exercises/test_data_parallel_suite.py;
here, submissions that try to pass without doing the work, each graded fail with the test that caught it."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz import paths
from quiz.grading.runner import grade_batch

EXERCISE = paths.exercises_dir() / "data_parallel"
FIXTURES = Path(__file__).parent / "fixtures" / "data_parallel"

pytestmark = pytest.mark.slow


def test_the_documents_mistake_and_the_attacks_on_the_suite_fail():
    outside, forged, pluggy = grade_batch(
        EXERCISE,
        [FIXTURES / "built_outside_scope.py", FIXTURES / "forged_history.py", FIXTURES / "starter_plus_pluggy.py"],
        jobs=2,
        timeout=300,
        memory_mb=3072,
    )

    assert outside.status == "fail", outside.message
    by_name = {t.name.split("::")[1]: t for t in outside.tests}
    assert by_name["test_preprocess_flattens_and_scales_images"].status == "pass"
    failed = [t for t in outside.tests if t.status == "fail"]
    assert failed and all(t.name.split("::")[1].startswith(("test_train", "test_one_step")) for t in failed)
    assert any("strategy.scope()" in t.message for t in failed), [t.message for t in failed]
    assert 0 < outside.score < outside.max_score

    # train never fits: a made-up History (val_accuracy 0.97) and the optimizer's counter set by hand. The held-out
    # accuracy computed from the returned weights, and the SGD step recomputed here, see through it.
    assert forged.status == "fail", forged.message
    forged_by_name = {t.name.split("::")[1]: t for t in forged.tests}
    assert forged_by_name["test_train_learns_the_digits"].status == "fail"
    assert "held-out digits correctly, expected at least 80%" in forged_by_name["test_train_learns_the_digits"].message
    assert forged_by_name["test_one_step_on_two_replicas_equals_one_step_on_one_device"].status == "fail"

    # the untouched starter plus pluggy's hook monitoring (it graded pass 19/19 when pytest ran in its process)
    assert pluggy.status == "fail" and pluggy.score == 0, pluggy.message
    assert all("not implemented yet" in t.message for t in pluggy.tests)

"""The toy suite: weighted tests, one that prints, in file order."""

import pytest

pytestmark = pytest.mark.verdict("recomputed")  # every verdict is a plain value compared here


@pytest.mark.weight(1)
def test_add_small_numbers(submission):
    assert submission.add(2, 3) == 5


@pytest.mark.weight(2)
def test_add_negative_numbers(submission):
    assert submission.add(-2, -3) == -5, "add(-2, -3) should be -5"


@pytest.mark.weight(3)
def test_train_returns_the_mean(submission):
    print("training on 4 values")
    assert submission.train([1.0, 2.0, 3.0, 4.0], epochs=3) == pytest.approx(2.5)


def test_train_single_epoch(submission):
    assert submission.train([10.0], epochs=1) == pytest.approx(10.0)

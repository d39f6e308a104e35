"""Shared fixtures for the review room's tests: the small scoring bank and stores in temporary directories."""

from __future__ import annotations

from pathlib import Path

import pytest

from quiz.bank import load_bank

REPO = Path(__file__).resolve().parents[2]
REVIEW_BANK = REPO / "tests" / "data" / "banks" / "review"


@pytest.fixture(scope="session")
def review_bank():
    return load_bank(REVIEW_BANK)


@pytest.fixture(scope="session")
def packaged_bank():
    """The bank quiz ships (questions/), as the labelled sets are scored against it."""
    from .labelled_set import load_real_bank

    return load_real_bank()


@pytest.fixture
def store(tmp_path):
    from quiz.review.store import ReviewStore

    opened = ReviewStore.open(tmp_path / "data")
    yield opened
    opened.close()

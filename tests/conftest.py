"""Shared test setup: keep every test away from the user's real cache and data directories."""

from __future__ import annotations

import os
import tempfile

# Set before anything from quiz is imported, so in-process calls and subprocesses both see them.
os.environ["QUIZ_CACHE_DIR"] = tempfile.mkdtemp(prefix="quiz-test-cache-")
os.environ["QUIZ_DATA_DIR"] = tempfile.mkdtemp(prefix="quiz-test-data-")  # never the developer's own
os.environ.pop("QUIZ_BANK", None)

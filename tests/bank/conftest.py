from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

VALID_BANK = Path(__file__).parent.parent / "data" / "banks" / "valid"


@pytest.fixture
def write(tmp_path: Path):
    """Write a bank file from an indented YAML text; returns its path."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write


QUESTION = """\
deck:
  id: d
  title: {zh: 甲, en: A}
questions:
  - id: d.one
    type: open
    topic: cost
    tags: [x]
    difficulty: easy
    prompt: {zh: 问, en: Q}
    answer: {zh: 答, en: A}
    key_points:
      - id: k
        point: {zh: 点, en: point}
        concepts:
          - {zh: [免费], en: [free]}
"""


@pytest.fixture
def question_text() -> str:
    return QUESTION

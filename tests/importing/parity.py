"""How an imported draft of the seed scores the labelled answers, beside the packaged bank.

    python tests/importing/parity.py

Imports tests/data/documents/seed.md twice (with the packaged bank lending its phrasings, as `quiz import-doc` does
by default, and with --no-thesaurus) and prints, for each labelled set, the mean score (0-100) the packaged bank
and each draft give the answers to the document's five questions: all answers, and those in Chinese or mixed
(the draft is a Chinese-only deck: without borrowed synonyms it has no English words).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "review"))

from labelled_set import ANSWERS, FROZEN, FROZEN_3, load_labelled  # noqa: E402

from quiz.bank import load_bank  # noqa: E402
from quiz.review.scorer import score_answer  # noqa: E402

SEED = ROOT / "tests" / "data" / "documents" / "seed.md"
SEED_QUESTIONS = [
    "cost.open-source-frameworks",
    "cost.hardware-prices",
    "speed.parallel-processing",
    "speed.hardware-acceleration",
    "summary.industry-impact",
]
SETS = {"tuning": ANSWERS, "frozen": FROZEN, "frozen-3": FROZEN_3}


def import_seed(folder: Path, *options: str):
    subprocess.run(
        [sys.executable, "-m", "quiz", "import-doc", str(SEED), "--output", str(folder), "--deck", "seed", *options],
        check=True,
        capture_output=True,
    )
    return load_bank(folder)


def matching(bank, packaged) -> dict[str, object]:
    """packaged question id -> the imported question with the same prompt."""
    by_prompt = {q.prompt("zh").strip(): q for q in bank.questions}
    return {qid: by_prompt[packaged.by_id[qid].prompt.zh.strip()] for qid in SEED_QUESTIONS}


def means(questions: dict, packaged, directory: Path, chinese_only: bool = False) -> tuple[int, float, float]:
    """(answers, packaged mean, imported mean) over a labelled set's answers to the five questions."""
    items = [
        item
        for item in load_labelled(directory)
        if item.question in questions and not (chinese_only and item.lang == "en")
    ]
    ours = [score_answer(packaged.by_id[item.question], item.answer).score for item in items]
    theirs = [score_answer(questions[item.question], item.answer).score for item in items]
    return len(items), 100 * sum(ours) / len(items), 100 * sum(theirs) / len(items)


def main() -> None:
    packaged = load_bank(ROOT / "questions")
    with tempfile.TemporaryDirectory() as tmp:
        drafts = {
            "borrowing": matching(import_seed(Path(tmp) / "a"), packaged),
            "document only": matching(import_seed(Path(tmp) / "b", "--no-thesaurus"), packaged),
        }
    for name, directory in SETS.items():
        for chinese_only in (False, True):
            rows = {draft: means(questions, packaged, directory, chinese_only) for draft, questions in drafts.items()}
            count, packaged_mean, _ = rows["borrowing"]
            cells = "  ".join(
                f"{draft} {mean:5.1f} ({mean - packaged_mean:+.1f})" for draft, (_, _, mean) in rows.items()
            )
            which = "zh+mixed" if chinese_only else "all"
            print(f"{name:8} {which:8} {count:3} answers: packaged {packaged_mean:5.1f}  {cells}")


if __name__ == "__main__":
    main()

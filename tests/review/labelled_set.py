"""The scorer's measure: hand-written answers to the shipped bank, each labelled with the key points it covers.

Files: tests/data/answers/*.yaml, each a list of
    {question: ID, lang: zh|en|mixed, kind: good|partial|off-topic|parrot, covers: [key point ids], answer: TEXT}
`good` answers cover most points; `partial` ones say which; `off-topic` (answers another question, or nothing
useful) and `parrot` (restates the question) cover none.

heldout.yaml was written after the bank's synonyms were final and never used to tune them: its figures are the
honest measure. The other files were written first and the bank's synonyms were tuned on what they missed.

    python tests/review/labelled_set.py      prints precision, recall and the per-question ordering
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ANSWERS = REPO / "tests" / "data" / "answers"
BANK = REPO / "questions"
KINDS = ("good", "partial", "off-topic", "parrot")
HELD_OUT = "heldout.yaml"


@dataclass(frozen=True)
class Labelled:
    file: str
    question: str
    lang: str
    kind: str
    covers: tuple[str, ...]
    answer: str


def load_labelled(directory: Path = ANSWERS) -> list[Labelled]:
    items = []
    for path in sorted(directory.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append(Labelled(path.name, entry["question"], entry["lang"], entry["kind"],
                                  tuple(entry.get("covers") or ()), entry["answer"]))
    return items


def load_real_bank():
    from quiz.bank import load_bank

    return load_bank(BANK)


def evaluate(bank, items: list[Labelled]) -> dict:
    """Key-point decisions pooled over the set (micro precision/recall), and per question whether every good
    answer outscores every partial one, and every partial one every off-topic or parroting one."""
    from quiz.review.scorer import score_answer

    tp = fp = fn = tn = 0
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    mistakes = []
    for item in items:
        question = bank.by_id[item.question]
        result = score_answer(question, item.answer)
        predicted, truth = set(result.covered), set(item.covers)
        for point in question.key_points:
            p, t = point.id in predicted, point.id in truth
            tp += p and t
            fp += p and not t
            fn += t and not p
            tn += not p and not t
        if predicted != truth:
            mistakes.append(f"{item.question} [{item.kind}/{item.lang}] labelled {sorted(truth)} "
                            f"scored {sorted(predicted)}: {item.answer.strip()[:60]!r}")
        bucket = "off-topic" if item.kind in ("off-topic", "parrot") else item.kind
        scores[item.question][bucket].append(result.score)
    ordering = {}
    for qid, by_kind in scores.items():
        good, partial, off = by_kind.get("good", []), by_kind.get("partial", []), by_kind.get("off-topic", [])
        ok = all(g > p for g in good for p in partial) and all(p > o for p in partial for o in off) \
            and all(g > o for g in good for o in off)
        ordering[qid] = {"ok": ok, "good": good, "partial": partial, "off-topic": off}
    kinds = defaultdict(list)
    for item in items:
        kinds[(item.kind, item.lang)].append(item)
    return {"answers": len(items), "questions": len(scores), "tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0,
            "ordering": ordering, "mistakes": mistakes,
            "by_kind": {f"{k}/{lang}": len(v) for (k, lang), v in sorted(kinds.items())}}


def _summary(name: str, figures: dict) -> list[str]:
    ordered = sum(o["ok"] for o in figures["ordering"].values())
    return [f"{name}: {figures['answers']} answers to {figures['questions']} questions "
            f"({', '.join(f'{k} {n}' for k, n in figures['by_kind'].items())})",
            f"  key points: precision {figures['precision']:.3f}, recall {figures['recall']:.3f} "
            f"(tp {figures['tp']}, fp {figures['fp']}, fn {figures['fn']}, tn {figures['tn']})",
            f"  good > partial > off-topic/parrot holds for {ordered} of {len(figures['ordering'])} questions"]


def report() -> str:
    items = load_labelled()
    if not items:
        return "labelled set: no answers under tests/data/answers/"
    bank = load_real_bank()
    figures = evaluate(bank, items)
    lines = _summary("labelled set, all", figures)
    lines += _summary("  tuning part (synonyms tuned on it)", evaluate(bank, [i for i in items if i.file != HELD_OUT]))
    lines += _summary("  held-out part (two synonyms added from it since)", evaluate(bank, [i for i in items if i.file == HELD_OUT]))
    lines.append("per question, all answers (scores):")
    for qid, o in sorted(figures["ordering"].items()):
        fmt = lambda xs: "/".join(f"{x:.2f}" for x in xs) or "-"  # noqa: E731
        lines.append(f"    {'ok ' if o['ok'] else 'TIE' if _tied(o) else 'BAD'} {qid:<40} good {fmt(o['good'])}  "
                     f"partial {fmt(o['partial'])}  off {fmt(o['off-topic'])}")
    if figures["mistakes"]:
        lines.append(f"answers whose covered points differ from the label ({len(figures['mistakes'])}):")
        lines += [f"    {m}" for m in figures["mistakes"]]
    return "\n".join(lines)


def _tied(o: dict) -> bool:
    """Out of order only because a partial answer the scorer found nothing in ties an off-topic one at 0."""
    partial_ok = all(g > p for g in o["good"] for p in o["partial"])
    return partial_ok and min(o["partial"], default=1) == 0 and max(o["off-topic"], default=0) == 0


if __name__ == "__main__":
    print(report())

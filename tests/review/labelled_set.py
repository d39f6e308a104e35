"""The scorer's measure: hand-written answers to the shipped bank, each labelled with the key points it covers.

Files: tests/data/answers/*.yaml (the tuning set) and tests/data/answers/frozen/*.yaml (the frozen held-out set),
each a list of
    {question: ID, lang: zh|en|mixed, kind: KIND, covers: [key point ids], contradicts: [key point ids],
     grade: 0-4, answer: TEXT}
Kinds: `good` covers most points; `paraphrase` is correct in everyday words; `partial` says which points it
makes; `vague` says nothing concrete; `off-topic` answers another question; `parrot` restates the question;
`list` only names terms; `denial` negates the points; `contradiction` states a misconception (the points it
gets wrong are in `contradicts`). The older files have no `contradicts` or `grade`.

frozen/ was written from the questions' prompts and key point statements only, committed before the scorer
learned negation, contradiction and lists and before any synonym was widened, and never used to tune anything:
its figures are the honest measure. Everything else (heldout.yaml included, the previous held-out set) is tuned on.
frozen-3/ is a third held-out set, 70 answers written on 2026-12-02 by a writer who saw only the prompts and the
key point statements (never the scorer or its synonyms), in candidates' own words; committed before any tuning on
it, for the next round of scorer work (frozen/ has been looked at five times). frozen-4/ is a fourth, 136 answers
written the same way by another writer, committed with nothing else before round4.yaml (a tuning set from a third
writer) was tuned on; on 2026-12-03 its answers and the scorer's mistakes on them were read, so it is tuning
material now (its floors stay). frozen-5/ is a fifth, 113 answers to all 25 open and code-review questions, written
on 2026-12-03 by another writer from the same kind of brief (prompts, the code under review, key point statements),
committed unscored; its figures were looked at three times (round 4's scorer, then twice with a rule that round
5 tried and dropped), never its answers. frozen-6/ is a sixth, 90 answers by three more writers (each with its own
voices: spoken Chinese with slang, terse jargon, formal 书面语, phone typing, hedging, numbered points), written
on 2026-12-03 from the same brief and committed unscored before round 6 tuned anything; its figures were looked
at three times (round 4's scorer, then twice round 6's), never its answers. redteam-scorer/'s mistakes were read
in round 6, frozen-5/'s and frozen-6/'s in round 7: all three are tuning material now (their floors stay).
frozen-7/ is a seventh, 92 answers by three more writers (a nervous new graduate with fillers and
self-corrections, analogies, follow-up turns; a terse senior engineer, non-native English, formal numbered prose;
plain words, wandering answers, hedging), written on 2026-12-04 from writer_brief.py's brief and committed
unscored before round 7 tuned anything; its figures were looked at four times (round 6's scorer, then three
times round 7's). frozen-8/ is an eighth, 91 answers by three more writers in new voices, written
after round 7 and its review, committed unscored and looked at once; round 8 then read its mistakes and frozen-7's
and tuned on them. frozen-9/ is a ninth, 90 answers by three more writers, committed unscored before round 8 was;
looked at once with each scorer (before and after round 8); round 9 then read its mistakes and tuned on them.
frozen-10/ is a tenth, 90 answers by three more writers (a terse code-switching platform engineer, a
conversational career-changer, a coached and structured candidate), written on 2026-12-06 from writer_brief.py's
brief and checked with its --check, committed unscored before round 9's changes; looked at once with round 8's
scorer and once with round 9's; round 10 then read its mistakes and tuned on them. frozen-11/ is an eleventh, 90
answers by three more writers (a campus-recruitment student reciting memorised answers, an engineering manager, a
second-language British-English speaker whose Mandarin mixes in English), written while round 10 began and
committed unscored before any of its changes; looked at once with round 9's scorer and once with round 10's;
round 11 then read its mistakes and tuned on them. frozen-12/ is a twelfth, 90 answers by three more writers (an
HPC systems engineer, a self-taught enthusiast, a hedging researcher), committed unscored before round 11's
changes; looked at once with round 10's scorer and once with round 11's; round 12 then read its mistakes and
tuned on them. frozen-13/ is a thirteenth, 90 answers by three more writers (a data engineer, a live-interview
transcript, a terse technical writer), committed unscored before round 12's changes and looked at once with each of
rounds 11 and 12 (the same figures); round 13 then read it. frozen-14/ is a fourteenth, 90 answers by three more
writers (an edge ML engineer, a teacher, a candidate writing traditional characters), committed unscored after
round 13 and looked at once, with round 13's scorer, never its answers: the unseen measure.

    python tests/review/labelled_set.py              the tuning set's figures and every answer it gets wrong
    python tests/review/labelled_set.py --frozen     the frozen set's figures only
    python tests/review/labelled_set.py --frozen-3   the third held-out set's figures only
    python tests/review/labelled_set.py --frozen-4   the fourth held-out set's figures only
    python tests/review/labelled_set.py --frozen-5   the fifth held-out set's figures only
    python tests/review/labelled_set.py --frozen-6   the sixth held-out set's figures only
    python tests/review/labelled_set.py --frozen-7   the seventh held-out set's figures only
    python tests/review/labelled_set.py --frozen-8   the eighth held-out set's figures only
    python tests/review/labelled_set.py --frozen-9   the ninth held-out set's figures only
    python tests/review/labelled_set.py --frozen-10  the tenth held-out set's figures only
    python tests/review/labelled_set.py --frozen-11  the eleventh held-out set's figures only
    python tests/review/labelled_set.py --frozen-12  the twelfth held-out set's figures only
    python tests/review/labelled_set.py --frozen-13  the thirteenth held-out set's figures only
    python tests/review/labelled_set.py --frozen-14  the fourteenth held-out set's figures only
    python tests/review/labelled_set.py --redteam-scorer   the red team's figures only
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
ANSWERS = REPO / "tests" / "data" / "answers"
FROZEN = ANSWERS / "frozen"
FROZEN_3 = ANSWERS / "frozen-3"  # the third held-out set (2026-12-02), written before the next round of tuning
FROZEN_4 = ANSWERS / "frozen-4"  # the fourth (2026-12-02, later), committed before round4.yaml was tuned on
FROZEN_5 = ANSWERS / "frozen-5"  # the fifth (2026-12-03), committed unscored
FROZEN_6 = ANSWERS / "frozen-6"  # the sixth (2026-12-03, later), committed unscored before round 6
FROZEN_7 = ANSWERS / "frozen-7"  # the seventh (2026-12-04), committed unscored before round 7; tuned on in round 8
FROZEN_8 = ANSWERS / "frozen-8"  # the eighth (2026-12-04, later), committed unscored after round 7; tuned on in round 8
FROZEN_9 = (
    ANSWERS / "frozen-9"
)  # the ninth (2026-12-04, last), committed unscored before round 8 was; tuned on in round 9
FROZEN_10 = ANSWERS / "frozen-10"  # the tenth (2026-12-06), committed unscored before round 9; tuned on in round 10
FROZEN_11 = ANSWERS / "frozen-11"  # the eleventh (2026-12-06), committed unscored before round 10; tuned on in 11
FROZEN_12 = ANSWERS / "frozen-12"  # the twelfth (2026-12-06), committed unscored before round 11; tuned on in 12
FROZEN_13 = ANSWERS / "frozen-13"  # the thirteenth (2026-12-06), committed unscored before round 12; read in 13
FROZEN_14 = (
    ANSWERS / "frozen-14"
)  # the fourteenth (2026-12-06, last), committed unscored after round 13, looked at once
REDTEAM = ANSWERS / "redteam-scorer"  # adversarial answers aimed at the scorer's blind spots (2026-12-03)
BANK = REPO / "questions"
KINDS = ("good", "paraphrase", "partial", "vague", "off-topic", "parrot", "list", "denial", "contradiction")
NOTHING = ("vague", "off-topic", "parrot", "list", "denial")  # cover no point
WRONG_HEADED = ("list", "denial", "contradiction")  # must score <= 0.3 (issue targets), when wrong_headed()


def wrong_headed(item: "Labelled") -> bool:
    """A list, a denial, or a misconception answer that gets at least as many points wrong as right: the answers
    the issue's "<= 0.3" target is about. A contradiction answer that makes four points well and one wrongly is
    mostly right, and scoring it 0.3 would be unfair to it (round4.yaml has one)."""
    return item.kind in WRONG_HEADED and len(item.covers) <= len(item.contradicts)


@dataclass(frozen=True)
class Labelled:
    file: str
    question: str
    lang: str
    kind: str
    covers: tuple[str, ...]
    answer: str
    contradicts: tuple[str, ...] = ()
    grade: int | None = None


def load_labelled(directory: Path = ANSWERS) -> list[Labelled]:
    items = []
    for path in sorted(directory.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            items.append(
                Labelled(
                    path.name,
                    entry["question"],
                    entry["lang"],
                    entry["kind"],
                    tuple(entry.get("covers") or ()),
                    entry["answer"],
                    tuple(entry.get("contradicts") or ()),
                    entry.get("grade"),
                )
            )
    return items


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation, ties given their average rank."""

    def ranks(values):
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2
            i = j + 1
        return out

    rx, ry = ranks(xs), ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    var = (sum((a - mx) ** 2 for a in rx) * sum((b - my) ** 2 for b in ry)) ** 0.5
    return cov / var if var else 0.0


def load_real_bank():
    from quiz.bank import load_bank

    return load_bank(BANK)


def evaluate(bank, items: list[Labelled]) -> dict:
    """Key-point decisions pooled over the set (micro precision/recall), the same for contradicted points, the
    rank correlation of score and grade, the score range of each kind, and per question whether every good
    answer outscores every partial one, and every partial one every off-topic or parroting one."""
    from quiz.review.scorer import score_answer

    tp = fp = fn = tn = 0
    ctp = cfp = cfn = 0
    scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_kind: dict[str, list[float]] = defaultdict(list)
    wrong_headed_scores: list[float] = []
    graded: list[tuple[float, int]] = []
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
        said_wrong, wrong = set(result.contradicted), set(item.contradicts)
        ctp += len(said_wrong & wrong)
        cfp += len(said_wrong - wrong)
        cfn += len(wrong - said_wrong)
        if predicted != truth or said_wrong - wrong:
            mistakes.append(
                f"{item.question} [{item.kind}/{item.lang}] labelled {sorted(truth)} "
                f"scored {sorted(predicted)}"
                + (f" wrong {sorted(said_wrong)} (labelled {sorted(wrong)})" if said_wrong or wrong else "")
                + f" {result.score:.2f}: {' '.join(item.answer.split())[:90]!r}"
            )
        by_kind[item.kind].append(result.score)
        if wrong_headed(item):
            wrong_headed_scores.append(result.score)
        if item.grade is not None:
            graded.append((result.score, item.grade))
        bucket = "off-topic" if item.kind in ("off-topic", "parrot") else item.kind
        scores[item.question][bucket].append(result.score)
    ordering = {}
    for qid, by_bucket in scores.items():
        good, partial, off = by_bucket.get("good", []), by_bucket.get("partial", []), by_bucket.get("off-topic", [])
        ok = (
            all(g > p for g in good for p in partial)
            and all(p > o for p in partial for o in off)
            and all(g > o for g in good for o in off)
        )
        ordering[qid] = {"ok": ok, "good": good, "partial": partial, "off-topic": off}
    kinds = defaultdict(list)
    for item in items:
        kinds[(item.kind, item.lang)].append(item)
    return {
        "answers": len(items),
        "questions": len(scores),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "contradicted": {
            "tp": ctp,
            "fp": cfp,
            "fn": cfn,
            "precision": ctp / (ctp + cfp) if ctp + cfp else 1.0,
            "recall": ctp / (ctp + cfn) if ctp + cfn else 1.0,
        },
        "spearman": spearman(*map(list, zip(*graded))) if len(graded) > 2 else None,
        "graded": len(graded),
        "scores_by_kind": dict(by_kind),
        "wrong_headed_max": max(wrong_headed_scores, default=0.0),
        "ordering": ordering,
        "mistakes": mistakes,
        "by_kind": {f"{k}/{lang}": len(v) for (k, lang), v in sorted(kinds.items())},
    }


def _summary(name: str, figures: dict) -> list[str]:
    ordered = sum(o["ok"] for o in figures["ordering"].values())
    c = figures["contradicted"]
    lines = [
        f"{name}: {figures['answers']} answers to {figures['questions']} questions",
        f"  key points: precision {figures['precision']:.3f}, recall {figures['recall']:.3f} "
        f"(tp {figures['tp']}, fp {figures['fp']}, fn {figures['fn']}, tn {figures['tn']})",
        f"  contradicted points: precision {c['precision']:.3f}, recall {c['recall']:.3f} "
        f"(tp {c['tp']}, fp {c['fp']}, fn {c['fn']})",
    ]
    if figures["spearman"] is not None:
        lines.append(f"  Spearman(score, grade) {figures['spearman']:.3f} over {figures['graded']} graded answers")
    for kind in KINDS:
        values = figures["scores_by_kind"].get(kind)
        if values:
            lines.append(
                f"    {kind:<13} n={len(values):<3} min {min(values):.2f}  mean {sum(values) / len(values):.2f}"
                f"  max {max(values):.2f}"
            )
    lines.append(
        f"  wrong-headed answers (lists, denials, mostly-wrong misconceptions): max {figures['wrong_headed_max']:.2f}"
    )
    lines.append(f"  good > partial > off-topic/parrot holds for {ordered} of {len(figures['ordering'])} questions")
    return lines


def report(held_out: Path | None = None) -> str:
    """The tuning set's figures and mistakes; given a held-out folder, that set's figures instead (never its
    answers: looking at what it misses is tuning on it)."""
    bank = load_real_bank()
    if held_out is not None:
        name = f"held-out set (tests/data/answers/{held_out.name}/)"
        return "\n".join(_summary(name, evaluate(bank, load_labelled(held_out))))
    figures = evaluate(bank, load_labelled(ANSWERS))
    lines = _summary("tuning set (tests/data/answers/*.yaml)", figures)
    if figures["mistakes"]:
        lines.append(f"tuning answers whose points differ from the label ({len(figures['mistakes'])}):")
        lines += [f"    {m}" for m in figures["mistakes"]]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    chosen = [arg.removeprefix("--") for arg in sys.argv[1:] if arg.startswith(("--frozen", "--redteam"))]
    print(report(ANSWERS / chosen[0] if chosen else None))

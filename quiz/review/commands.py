"""`quiz score`, `quiz stats`, `quiz export` and `quiz settings`."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from quiz.errors import CommandFailed, ExitCode, UsageError


def register(sub, parent: argparse.ArgumentParser) -> None:
    score = sub.add_parser(
        "score",
        parents=[parent],
        help="score an answer against a question's key points",
        description="Score a free-text answer (Chinese, English or mixed) against the key points "
        "of a question; for a choice question, give the option letters (a,c).",
    )
    score.add_argument("question_id", metavar="QUESTION_ID")
    given = score.add_mutually_exclusive_group(required=True)
    given.add_argument("--answer", metavar="TEXT", help="the answer")
    given.add_argument("--answer-file", metavar="FILE", help="read the answer from FILE ('-': standard input)")
    score.add_argument(
        "--json",
        action="store_true",
        help='print {"id", "score", "covered", "missed", "suggested_rating"}, and "contradicted": '
        'the key points whose opposite the answer states, and "evidence": for each covered or contradicted '
        'point, the answer\'s words it rests on; or for a choice question "wrong": '
        "the options chosen that are not correct",
    )
    score.set_defaults(run=run_score)

    stats = sub.add_parser("stats", parents=[parent], help="show progress: accuracy, reviews and due cards per topic")
    stats.add_argument("--json", action="store_true", help="print everything as JSON")
    stats.set_defaults(run=run_stats)

    export = sub.add_parser("export", parents=[parent], help="export the history of answers and reviews")
    export.add_argument("--format", choices=("csv", "json"), required=True)
    export.add_argument("--output", metavar="PATH", help="write to PATH instead of standard output")
    export.set_defaults(run=run_export)

    settings = sub.add_parser(
        "settings",
        parents=[parent],
        help="show or change the drill settings",
        description="With no option, show the settings; each option changes one.",
    )
    settings.add_argument("--new-per-day", type=int, metavar="N", help="new questions a day (UTC), 0-1000")
    settings.add_argument(
        "--retention", type=float, metavar="R", help="desired retention FSRS aims for, 0.70-0.99 (higher: more reviews)"
    )
    settings.set_defaults(run=run_settings)


def open_store(args: argparse.Namespace):
    """The store (`CommandFailed` if it cannot be opened). Says so when a bad file was moved aside."""
    from quiz.review.store import ReviewStore, StoreError

    try:
        store = ReviewStore.open(getattr(args, "data_dir", None))
    except StoreError as exc:
        raise CommandFailed(f"quiz: {exc}") from None
    if store.recovered_from is not None:
        print(f"quiz: {store.recovery_message()}", file=sys.stderr)
    return store


def _read_answer(args: argparse.Namespace) -> str:
    if args.answer is not None:
        return args.answer
    from_stdin = args.answer_file == "-"
    name = "standard input" if from_stdin else args.answer_file
    try:  # bytes, decoded here: the locale's text decoding would turn bad bytes into a traceback or mojibake
        raw = sys.stdin.buffer.read() if from_stdin else Path(args.answer_file).read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {args.answer_file}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{name} is not UTF-8 text") from None


def _chosen_options(question, answer: str) -> list[str]:
    ids = [o.id for o in question.options]
    chosen = [c for c in re.split(r"[\s,;/]+", answer.strip().lower()) if c]
    if not chosen or any(c not in ids for c in chosen):
        raise UsageError(
            f"{question.id} is a choice question: answer with option letters among "
            f"{', '.join(ids)} (for example --answer {ids[0]})"
        )
    return chosen


def run_score(args: argparse.Namespace) -> int:
    from quiz.bank.commands import bank_in_use
    from quiz.review.rating import Rating
    from quiz.review.scorer import score_answer, score_choice

    bank = bank_in_use(args)
    question = bank.by_id.get(args.question_id)
    if question is None:
        raise UsageError(f"no question with id '{args.question_id}' (see 'quiz list')")
    answer = _read_answer(args)
    if question.type == "choice":
        result = score_choice(question, _chosen_options(question, answer))
    elif not question.key_points:
        raise UsageError(
            f"{question.id} has no key points to score an answer against (a coding exercise is graded by its tests)"
        )
    else:
        result = score_answer(question, answer)
    if args.json:
        figures = {
            "id": question.id,
            "score": result.score,
            "covered": list(result.covered),
            "missed": list(result.missed),
            "suggested_rating": result.suggested_rating,
        }
        if question.type == "choice":
            figures["wrong"] = list(result.wrong)
        else:
            figures["contradicted"] = list(result.contradicted)
            figures["evidence"] = dict(result.evidence)
        print(json.dumps(figures, ensure_ascii=False))
        return ExitCode.OK
    lang = args.lang
    if question.shown_in(lang) != lang:
        print(f"note: {question.id}'s deck is written in {question.shown_in(lang)} only: shown in it", file=sys.stderr)
    if question.type == "choice":
        texts = {o.id: f"{o.id}) {o.text(lang)}" for o in question.options}
        total, noun = len(question.correct), "correct option(s)"
    else:
        texts = {kp.id: kp.point(lang) for kp in question.key_points}
        total, noun = len(question.key_points), "key points"
    wrong = len(result.wrong) + len(result.contradicted)
    wrong = f", {wrong} wrong" if wrong else ""
    print(
        f"{question.id}: score {result.score:.2f} ({len(result.covered)} of {total} {noun}{wrong}), "
        f"suggested rating: {Rating(result.suggested_rating).label}"
    )
    for point_id in result.covered:
        print(f"  + {texts[point_id]}")
        _print_evidence(result, point_id)
    for point_id in result.missed:
        print(f"  - {texts[point_id]}")
    for option_id in result.wrong:
        print(f"  x {texts[option_id]} (wrong)")
    for point_id in result.contradicted:
        print(f"  x {texts[point_id]} (wrong: the answer states the opposite)")
        _print_evidence(result, point_id)
    return ExitCode.OK


def _print_evidence(result, point_id: str) -> None:
    """The answer's words the verdict rests on, under the point: the user can see why, and disagree."""
    if words := result.evidence_of(point_id):
        print(f"      “{words}”")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def run_stats(args: argparse.Namespace) -> int:
    from quiz.bank.commands import bank_in_use

    bank = bank_in_use(args)
    store = open_store(args)
    with store:
        figures = store.stats(bank)
    if args.json:
        print(json.dumps(figures.to_json(), ensure_ascii=False, indent=2))
        return ExitCode.OK
    zh = args.lang == "zh"
    table = [[header[0 if zh else 1] for header in STATS_HEADERS]]
    topics = [(bank.topic_title(topic, args.lang), row) for topic, row in figures.topics.items()]
    for name, row in [*topics, ("全部" if zh else "all", figures.total)]:
        table.append(
            [
                name,
                row.questions,
                row.attempts,
                _percent(row.accuracy),
                row.reviews,
                _percent(row.pass_rate),
                row.due_now,
                row.due_week,
                row.new,
            ]
        )
    print(_aligned(table))
    last_week = sum(n for _, n in figures.reviews_per_day[-7:])
    print(f"最近 7 天复习：{last_week}" if zh else f"reviews in the last 7 days: {last_week}")
    if figures.removed_questions:
        removed = ", ".join(figures.removed_questions)
        print(
            f"已不在题库中的题目的记录：{removed}" if zh else f"history of questions no longer in the bank: {removed}"
        )
    return ExitCode.OK


# (zh, en) column headers of `quiz stats`; "unseen" counts the questions never rated
STATS_HEADERS = (
    ("主题", "topic"),
    ("题数", "questions"),
    ("作答", "attempts"),
    ("正确率", "accuracy"),
    ("复习", "reviews"),
    ("通过率", "passed"),
    ("现在到期", "due now"),
    ("7 天内到期", "due 7d"),
    ("未学", "unseen"),
)


def _aligned(table: list[list]) -> str:
    """Columns two spaces apart, measured in terminal cells (a Chinese character takes two); the first column
    left-aligned, the numbers right-aligned."""
    from rich.cells import cell_len

    cells = [[str(value) for value in row] for row in table]
    widths = [max(cell_len(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = []
    for row in cells:
        padded = [row[0] + " " * (widths[0] - cell_len(row[0]))]
        padded += [" " * (w - cell_len(v)) + v for v, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(padded).rstrip())
    return "\n".join(lines)


def run_export(args: argparse.Namespace) -> int:
    from quiz.review.export import to_csv, to_json

    store = open_store(args)
    with store:
        history = store.history()
    text = to_csv(history) if args.format == "csv" else to_json(history)
    if not args.output:
        sys.stdout.write(text)
        return ExitCode.OK
    target = Path(args.output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        try:
            partial.unlink(missing_ok=True)
        except OSError:  # the folder does not exist or cannot be written: there is nothing to clean up
            pass
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None
    print(
        f"exported {len(history['attempts'])} answer(s) and {len(history['reviews'])} review(s) to {target}",
        file=sys.stderr,
    )
    return ExitCode.OK


def run_settings(args: argparse.Namespace) -> int:
    changes = {}
    if args.new_per_day is not None:
        changes["new_per_day"] = args.new_per_day
    if args.retention is not None:
        changes["desired_retention"] = args.retention
    store = open_store(args)
    with store:
        if changes:
            try:
                store.update_settings(**changes)
            except ValueError as exc:
                raise UsageError(str(exc)) from None
        current = store.settings()
    print(f"new_per_day: {current.new_per_day}")
    print(f"desired_retention: {current.desired_retention}")
    return ExitCode.OK

"""Read question bank files: YAML in, checked `Bank` out, with every problem found in one pass.

A file whose bytes were checked clean before comes from the cache (cache.py). Any other is parsed (parsing.py),
checked against the deck schema and for what a schema cannot say (checks.py), and cached when clean. A big bank on
a cold cache is parsed and checked in worker processes, one per core (parallel.py). Then the checks across files
(question ids, exercises) run, and the data is built into typed objects (building.py).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from quiz.bank import cache
from quiz.bank.building import build_deck
from quiz.bank.checks import check_exercises, check_meaning, check_schema, duplicate_ids
from quiz.bank.model import Bank
from quiz.bank.parsing import ParsedFile, bank_files, parse, read_file
from quiz.bank.problems import BankError, Problem

# Uncached bank text above which files are parsed in worker processes (one per core). Starting them costs about
# 0.2 s; parsing and checking runs at about 3 MB/s per core here, so below this it does not pay.
PARALLEL_BYTES = 2 * 2**20


def parse_and_check(parsed: ParsedFile) -> None:
    """Parse a file that was read but not found in the cache, run the checks that need only this file, and cache
    it when they all pass."""
    parse(parsed)
    if parsed.root is not None or parsed.data is not None:
        check_schema(parsed)
        check_meaning(parsed)
        if not parsed.problems:
            cache.store(parsed.raw, parsed.data)
            parsed.root = None


def check_files(
    paths: Iterable[Path], known_exercises: set[str] | None = None
) -> tuple[list[ParsedFile], list[Problem]]:
    """Parse and check every file; return the files and all problems, sorted by place."""
    with _no_cycle_collection():
        return _check_files(paths, known_exercises)


@contextmanager
def _no_cycle_collection():
    """Loading allocates millions of acyclic objects; the cycle collector would rescan them all (~2x slower)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _check_files(paths: Iterable[Path], known_exercises: set[str] | None) -> tuple[list[ParsedFile], list[Problem]]:
    files, problems = bank_files(paths)
    parsed_files = [read_file(path) for path in files]
    _parse_and_check_all([parsed for parsed in parsed_files if not parsed.problems and not parsed.cached])
    for parsed in parsed_files:
        if known_exercises is not None:
            check_exercises(parsed, known_exercises)
        problems.extend(parsed.problems)
    problems.extend(duplicate_ids(parsed_files))
    if not files and not problems:
        problems.extend(Problem(Path(p), 1, 1, "no .yaml files found") for p in paths)
    return parsed_files, sorted(problems)


def _parse_and_check_all(to_parse: list[ParsedFile]) -> None:
    """Parse and check the files the cache did not have: in worker processes when there is enough text to pay for
    starting them (a big bank on a cold cache), else here."""
    outcomes = None
    if sum(len(parsed.raw) for parsed in to_parse) >= PARALLEL_BYTES:
        from quiz.bank import parallel  # here: its imports (subprocess, pickle, threads) cost the quiz's start ~15 ms

        outcomes = parallel.map_in_workers(
            _parse_and_check_in_worker, [(p.path, p.raw) for p in to_parse], weight=lambda args: len(args[1])
        )
    if outcomes is None:
        for parsed in to_parse:
            parse_and_check(parsed)
        return
    for parsed, (data, problems, parsed_ok) in zip(to_parse, outcomes):
        parsed.data, parsed.problems, parsed.parsed_ok = data, problems, parsed_ok  # the node tree is composed
        # again here only if a message needs a line number


def _parse_and_check_in_worker(path: Path, raw: bytes) -> tuple[object, list[Problem], bool]:
    with _no_cycle_collection():
        parsed = ParsedFile(path)
        parsed.raw = raw
        parse_and_check(parsed)
        return parsed.data, parsed.problems, parsed.parsed_ok


def load_bank(paths: Iterable[Path] | Path, known_exercises: set[str] | None = None) -> Bank:
    """Load and check a bank (directories or files). Raises BankError listing every problem."""
    if isinstance(paths, Path):
        paths = [paths]
    with _no_cycle_collection():
        parsed_files, problems = _check_files(list(paths), known_exercises)
        if problems:
            raise BankError(problems)
        return Bank(tuple(build_deck(p) for p in parsed_files))

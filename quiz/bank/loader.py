"""Read question bank files: YAML in, checked `Bank` out, with every problem found in one pass.

A file whose bytes were checked clean before comes from the cache (cache.py). Any other is parsed once with the
C YAML loader into a node tree (kept for line numbers while it has problems), built into Python values from those
nodes (yaml_values.py), checked against the deck schema, and checked for what a schema cannot say. A big bank on
a cold cache is parsed and checked in worker processes, one per core (parallel.py). Then the checks across files
(question ids, exercises) run here.
"""

from __future__ import annotations

import ast
import gc
from contextlib import contextmanager
from collections.abc import Iterable
from pathlib import Path

import yaml

from quiz.bank import cache, locate, yaml_values
from quiz.bank.model import LANGS, Bank, Deck, KeyPoint, Option, Question, QuestionType, Snippet, Terms, Text
from quiz.bank.problems import BankError, Problem
from quiz.bank.schema import declared_languages, deck_validator, describe, is_valid_deck, leaf_errors

BANK_SUFFIXES = (".yaml", ".yml")
# Uncached bank text above which files are parsed in worker processes (one per core). Starting them costs about
# 0.2 s; parsing and checking runs at about 3 MB/s per core here, so below this it does not pay.
PARALLEL_BYTES = 2 * 2**20


class ParsedFile:
    """One bank file after parsing: its data and node tree, and the problems found so far.

    The node tree is dropped once the file's own checks pass (it is several times the size of the data) and
    composed again from the bytes only if a later message needs a line number.
    """

    def __init__(self, path: Path):
        self.path = path
        self.data: object = None
        self.raw = b""
        self.text: str | None = None
        self.cached = False
        self.parsed_ok = False  # the bytes are valid YAML, so the node tree can be composed again
        self._root: yaml.Node | None = None
        self.repeated_keys: list[yaml.Node] = []  # key nodes that repeat a key of their mapping
        self.problems: list[Problem] = []

    @property
    def root(self) -> yaml.Node | None:
        if self._root is None and self.parsed_ok:
            self._root = locate.compose(self.raw.decode("utf-8"))
        return self._root

    @root.setter
    def root(self, node: yaml.Node | None) -> None:
        self._root = node

    def problem(
        self,
        message: str,
        node_path: list[object] | None = None,
        *,
        key: bool = False,
        at: tuple[int, int] | None = None,
    ) -> None:
        if at is None:
            at = locate.position(locate.find_node(self.root, node_path or [], key=key))
        self.problems.append(Problem(self.path, at[0], at[1], message))


def bank_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Expand directories to their YAML files (sorted, recursively); report paths that do not exist."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in BANK_SUFFIXES and p.is_file() and not _hidden(p.relative_to(path))
                )
            )
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(path, 1, 1, "no such file or directory"))
    return files, problems


def _hidden(relative: Path) -> bool:
    """Inside a hidden folder or a hidden file (.git, .github/workflows/*.yml, editor files): not part of the bank."""
    return any(part.startswith(".") for part in relative.parts)


def read_file(path: Path) -> ParsedFile:
    """The file's bytes, and its data straight from the cache when these bytes were checked clean before."""
    parsed = ParsedFile(path)
    try:
        parsed.raw = path.read_bytes()
    except OSError as exc:
        parsed.problem(f"cannot read file: {exc.strerror or exc}", at=(1, 1))
        return parsed
    parsed.data = cache.load(parsed.raw)
    parsed.cached = parsed.parsed_ok = parsed.data is not None
    return parsed


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


def parse(parsed: ParsedFile) -> None:
    raw = parsed.raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        parsed.problem(f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded", at=(line, col))
        return
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        parsed.problem("empty file: a deck needs 'deck' and 'questions'", at=(1, 1))
        return
    parsed.text = text
    loader = yaml_values.Loader(text)
    try:
        parsed.root = loader.get_single_node()
        if parsed.root is not None:
            try:
                parsed.data, parsed.repeated_keys = yaml_values.build(parsed.root, loader)
            except yaml_values.Unusual:
                parsed.data = loader.construct_document(parsed.root)
                parsed.repeated_keys = locate.duplicate_keys(parsed.root)
        parsed.parsed_ok = True
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        at = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        parsed.problem(f"YAML syntax error: {reason}" + (f" ({context})" if context else ""), at=at)
        parsed.root = None
    except RecursionError:
        parsed.problem("YAML nested too deeply", at=(1, 1))
        parsed.root = None
    finally:
        loader.dispose()


def check_schema(parsed: ParsedFile) -> None:
    for key_node in parsed.repeated_keys:
        parsed.problem(
            f"key '{key_node.value}' is given twice in the same mapping (the first would be lost)",
            at=locate.position(key_node),
        )
    if not isinstance(parsed.data, dict):
        parsed.problem(
            f"a deck file must be a mapping with 'deck' and 'questions', not {_kind(parsed.data)}", at=(1, 1)
        )
        return
    if is_valid_deck(parsed.data):
        return
    languages = declared_languages(parsed.data)
    errors = sorted(deck_validator(languages).iter_errors(parsed.data), key=lambda e: list(map(str, e.absolute_path)))
    seen: set[tuple[int, int, str]] = set()
    hinted: set[str] = set()
    for error in errors:
        for leaf in leaf_errors(error):
            node_path, key, message = describe(leaf)
            where = _question_label(parsed.data, node_path)
            at = locate.position(locate.find_node(parsed.root, node_path, key=key))
            if (at[0], at[1], message) not in seen:
                seen.add((at[0], at[1], message))
                parsed.problem(f"{where}{message}{_language_hint(message, languages, hinted)}", at=at)


def _language_hint(message: str, languages: tuple[str, ...], hinted: set[str]) -> str:
    """Said once per file, on the first text that lacks a language or has one its deck does not declare."""
    if languages == LANGS and message.endswith(("missing required key 'zh'", "missing required key 'en'")):
        hint = " (a deck written in one language says so: 'languages: [zh]' or '[en]' under 'deck')"
    elif languages != LANGS and message in ("unknown key 'zh'", "unknown key 'en'"):
        hint = f" (the deck declares languages: [{', '.join(languages)}])"
    else:
        return ""
    if hint in hinted:
        return ""
    hinted.add(hint)
    return hint


def check_meaning(parsed: ParsedFile) -> None:
    """What the schema cannot say: options that exist, code that parses, ids unique within a question."""
    for index, question in enumerate(_questions(parsed)):
        if not isinstance(question, dict):
            continue
        label = _question_label(parsed.data, ["questions", index])
        base: list[object] = ["questions", index]
        options = question.get("options")
        option_ids = [o.get("id") for o in options if isinstance(o, dict)] if isinstance(options, list) else []
        for dup in sorted({i for i in option_ids if option_ids.count(i) > 1}, key=str):
            parsed.problem(f"{label}option '{dup}' is given twice", base + ["options"])
        correct = question.get("correct")
        if isinstance(correct, list) and isinstance(options, list):
            for position, choice in enumerate(correct):
                if choice not in option_ids:
                    parsed.problem(
                        f"{label}correct option '{choice}' is not among the options "
                        f"({', '.join(map(str, option_ids))})",
                        base + ["correct", position],
                    )
        points = question.get("key_points")
        if isinstance(points, list):
            point_ids = [p.get("id") for p in points if isinstance(p, dict)]
            for dup in sorted({i for i in point_ids if point_ids.count(i) > 1}, key=str):
                parsed.problem(f"{label}key point '{dup}' is given twice", base + ["key_points"])
            for position, point in enumerate(points):
                if (
                    isinstance(point, dict)
                    and isinstance(point.get("require"), int)
                    and isinstance(point.get("concepts"), list)
                    and point["require"] > len(point["concepts"])
                ):
                    parsed.problem(
                        f"{label}key point '{point.get('id')}' requires {point['require']} concepts "
                        f"but lists {len(point['concepts'])}",
                        base + ["key_points", position, "require"],
                    )
                if isinstance(point, dict):
                    _check_contradicts(parsed, label, base + ["key_points", position], point)
        for position, snippet in _python_snippets(question):
            where = base + ["code", position]
            if snippet.get("broken") is True:
                if syntax_error(snippet["source"]) is None:
                    parsed.problem(
                        f"{label}Python snippet is marked 'broken: true' but parses: remove the mark",
                        where + ["broken"],
                    )
            else:
                _check_python(parsed, label, where + ["source"], snippet["source"])


def _python_snippets(question: object) -> list[tuple[int, dict]]:
    snippets = question.get("code") if isinstance(question, dict) else None
    return [
        (position, snippet)
        for position, snippet in enumerate(snippets if isinstance(snippets, list) else [])
        if isinstance(snippet, dict) and snippet.get("language") == "python" and isinstance(snippet.get("source"), str)
    ]


def broken_snippets(parsed: ParsedFile) -> list[Problem]:
    """Notes, not problems: the Python snippets marked 'broken: true' (kept as a document had them), each with
    where and why it does not parse."""
    notes = []
    for index, question in enumerate(_questions(parsed)):
        for position, snippet in _python_snippets(question):
            if snippet.get("broken") is True and (error := syntax_error(snippet["source"])):
                line, col = locate.position(locate.find_node(parsed.root, ["questions", index, "code", position]))
                label = _question_label(parsed.data, ["questions", index])
                notes.append(
                    Problem(
                        parsed.path, line, col, f"note: {label}Python snippet kept as written, marked broken: {error}"
                    )
                )
    return notes


def syntax_error(source: str) -> str | None:
    """Why a Python snippet does not parse, or None when it does."""
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return f"{exc.msg} (snippet line {exc.lineno})"
    except (ValueError, RecursionError) as exc:
        return str(exc)
    return None


def _check_contradicts(parsed: ParsedFile, label: str, where: list, point: dict) -> None:
    """A misconception written the same as one of the point's own synonyms would mark every answer that says the
    point wrong."""
    contradicts, concepts = point.get("contradicts"), point.get("concepts")
    if not isinstance(contradicts, dict) or not isinstance(concepts, list):
        return
    synonyms = {
        " ".join(str(term).lower().split())
        for terms in concepts
        if isinstance(terms, dict)
        for lang in ("zh", "en")
        if isinstance(terms.get(lang), list)
        for term in terms[lang]
    }
    for lang in ("zh", "en"):
        for index, phrase in enumerate(contradicts.get(lang) or []):
            if isinstance(phrase, str) and " ".join(phrase.lower().split()) in synonyms:
                parsed.problem(
                    f"{label}key point '{point.get('id')}' lists '{phrase}' both as a synonym and as a contradiction",
                    where + ["contradicts", lang, index],
                )


def check_exercises(parsed: ParsedFile, known_exercises: set[str]) -> None:
    """Exercise questions name an exercise that exists (checked apart: it depends on more than the file)."""
    for index, question in enumerate(_questions(parsed)):
        exercise = question.get("exercise") if isinstance(question, dict) else None
        if isinstance(exercise, str) and exercise not in known_exercises:
            label = _question_label(parsed.data, ["questions", index])
            parsed.problem(
                f"{label}unknown exercise '{exercise}' (known: {', '.join(sorted(known_exercises))})",
                ["questions", index, "exercise"],
            )


def _questions(parsed: ParsedFile) -> list:
    questions = parsed.data.get("questions") if isinstance(parsed.data, dict) else None
    return questions if isinstance(questions, list) else []


def _check_python(parsed: ParsedFile, label: str, node_path: list[object], source: str) -> None:
    try:
        ast.parse(source)
    except SyntaxError as exc:
        node = locate.find_node(parsed.root, node_path)
        line, col = locate.position(node)
        if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
            line += exc.lineno or 1  # a block scalar's text starts on the line after its indicator
            col = _block_indent(parsed.text or "", node) + (exc.offset or 1)
        parsed.problem(f"{label}Python snippet does not parse: {exc.msg} (snippet line {exc.lineno})", at=(line, col))
    except (ValueError, RecursionError) as exc:
        parsed.problem(f"{label}Python snippet does not parse: {exc}", node_path)


def _block_indent(text: str, node: yaml.ScalarNode) -> int:
    """Column (0-based) where a block scalar's text starts, read from its first non-blank line in the file text
    (the C loader's marks carry no buffer to read it from)."""
    for line in text.splitlines()[node.start_mark.line + 1 :]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return node.start_mark.column


def _question_label(data: object, node_path: list[object]) -> str:
    if len(node_path) >= 2 and node_path[0] == "questions" and isinstance(node_path[1], int) and isinstance(data, dict):
        questions = data.get("questions")
        if isinstance(questions, list) and node_path[1] < len(questions):
            question = questions[node_path[1]]
            if isinstance(question, dict) and isinstance(question.get("id"), str):
                return f"question '{question['id']}': "
            return f"question #{node_path[1] + 1}: "
    return ""


def _kind(value: object) -> str:
    if value is None:
        return "an empty document"
    return {list: "a list", str: "a string"}.get(type(value), type(value).__name__)


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
    problems.extend(_duplicate_ids(parsed_files))
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


def _duplicate_ids(parsed_files: list[ParsedFile]) -> list[Problem]:
    first_seen: dict[str, tuple[ParsedFile, int]] = {}
    problems = []
    for parsed in parsed_files:
        for index, question in enumerate(_questions(parsed)):
            qid = question.get("id") if isinstance(question, dict) else None
            if not isinstance(qid, str):
                continue
            if qid in first_seen:
                other, other_index = first_seen[qid]
                line, _ = locate.position(locate.find_node(other.root, ["questions", other_index, "id"]))
                line_here, col_here = locate.position(locate.find_node(parsed.root, ["questions", index, "id"]))
                problems.append(
                    Problem(
                        parsed.path,
                        line_here,
                        col_here,
                        f"duplicate question id '{qid}' (first defined at {other.path}:{line})",
                    )
                )
            else:
                first_seen[qid] = (parsed, index)
    return problems


def load_bank(paths: Iterable[Path] | Path, known_exercises: set[str] | None = None) -> Bank:
    """Load and check a bank (directories or files). Raises BankError listing every problem."""
    if isinstance(paths, Path):
        paths = [paths]
    with _no_cycle_collection():
        parsed_files, problems = _check_files(list(paths), known_exercises)
        if problems:
            raise BankError(problems)
        return Bank(tuple(_deck(p) for p in parsed_files))


def _text(value: dict | None) -> Text | None:
    return Text(zh=value.get("zh", ""), en=value.get("en", "")) if value else None


def _terms(value: dict | None) -> Terms | None:
    return Terms(zh=tuple(value.get("zh", ())), en=tuple(value.get("en", ()))) if value else None


def _deck(parsed: ParsedFile) -> Deck:
    data = parsed.data
    assert isinstance(data, dict)
    meta = data["deck"]
    languages = declared_languages(data)
    questions = tuple(_question(q, meta["id"], languages) for q in data["questions"])
    return Deck(
        id=meta["id"],
        title=_text(meta["title"]),
        path=parsed.path,
        questions=questions,
        description=_text(meta.get("description")),
        languages=languages,
        topics=tuple((name, _text(title)) for name, title in meta.get("topics", {}).items()),
    )


def _question(q: dict, deck_id: str, languages: tuple[str, ...]) -> Question:
    return Question(
        id=q["id"],
        type=QuestionType(q["type"]),
        topic=q["topic"],
        tags=tuple(q["tags"]),
        difficulty=q["difficulty"],
        prompt=_text(q["prompt"]),
        answer=_text(q["answer"]),
        deck=deck_id,
        source=q.get("source"),
        key_points=tuple(
            KeyPoint(
                id=kp["id"],
                point=_text(kp["point"]),
                concepts=tuple(_terms(c) for c in kp["concepts"]),
                require=kp.get("require", len(kp["concepts"])),
                contradicts=_terms(kp.get("contradicts")),
            )
            for kp in q["key_points"]
        ),
        code=tuple(
            Snippet(
                language=s["language"],
                source=s["source"],
                title=_text(s.get("title")),
                correction=_text(s.get("correction")),
                broken=s.get("broken", False),
            )
            for s in q.get("code", [])
        ),
        options=tuple(Option(id=o["id"], text=_text(o["text"])) for o in q.get("options", [])),
        correct=tuple(q.get("correct", [])),
        exercise=q.get("exercise"),
        languages=languages,
    )

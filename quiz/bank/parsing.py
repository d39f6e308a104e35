"""Reading one bank file: its bytes (or its data from the cache), then the C YAML loader's node tree, kept for
line numbers while the file has problems, and the Python values built from it (yaml_values.py)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.bank import cache, locate
from quiz.bank.problems import Problem

if TYPE_CHECKING:  # PyYAML is imported only when a file is parsed (~30 ms): a cached bank never needs it
    import yaml

BANK_SUFFIXES = (".yaml", ".yml")


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
    import yaml

    from quiz.bank import yaml_values

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

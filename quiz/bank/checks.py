"""The checks of a parsed bank file: the deck schema (with a message at the line of each mistake), what a schema
cannot say (options that exist, code that parses, ids unique within a question, misconceptions that are not
synonyms), and the checks across files (question ids, the exercises a question names)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from quiz.bank import locate
from quiz.bank.model import LANGS
from quiz.bank.parsing import ParsedFile
from quiz.bank.problems import Problem
from quiz.bank.schema import declared_languages, deck_validator, describe, is_valid_deck, leaf_errors

if TYPE_CHECKING:
    import yaml


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
    for index, question in enumerate(questions_of(parsed)):
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
    for index, question in enumerate(questions_of(parsed)):
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
    for index, question in enumerate(questions_of(parsed)):
        exercise = question.get("exercise") if isinstance(question, dict) else None
        if isinstance(exercise, str) and exercise not in known_exercises:
            label = _question_label(parsed.data, ["questions", index])
            parsed.problem(
                f"{label}unknown exercise '{exercise}' (known: {', '.join(sorted(known_exercises))})",
                ["questions", index, "exercise"],
            )


def questions_of(parsed: ParsedFile) -> list:
    questions = parsed.data.get("questions") if isinstance(parsed.data, dict) else None
    return questions if isinstance(questions, list) else []


def _check_python(parsed: ParsedFile, label: str, node_path: list[object], source: str) -> None:
    try:
        ast.parse(source)
    except SyntaxError as exc:
        import yaml

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


def duplicate_ids(parsed_files: list[ParsedFile]) -> list[Problem]:
    first_seen: dict[str, tuple[ParsedFile, int]] = {}
    problems = []
    for parsed in parsed_files:
        for index, question in enumerate(questions_of(parsed)):
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

"""A read document as draft bank decks: the dicts `quiz validate` checks, and a report of what was made.

    draft(document, name, deck=None, lang=None) -> Draft

- Each question is one `open` question (a programming task a `code-review` one) whose id is the deck's and a slug
  of its heading, stable from import to import while the heading stays.
- Its passes merge: the prompt of the first, every bullet of every pass as a key point, a bullet that says what an
  earlier one said (most of its label's words the same) folded into it, its words added as synonyms.
- Sentences of its sections' own text (see document.py) that no bullet already says become key points too: the
  genre states some points only there ("深度学习算法……得益于它们的结构").
- Code becomes snippets; Python that does not parse is kept, marked `broken`, and reported.
- The deck is in the document's language only (`languages: [zh]` or `[en]`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from quiz.bank.checks import syntax_error
from quiz.importing import words
from quiz.importing.document import Document, Found, plain_title
from quiz.importing.thesaurus import Thesaurus

_SLUG = re.compile(r"[^a-z0-9]+")
_NUMBER = re.compile(r"^\s*([0-9]+(?:[.．][0-9]+)*)")
CODE_LANGUAGES = {
    "python": "python",
    "py": "python",
    "python3": "python",
    "bash": "bash",
    "sh": "bash",
    "shell": "bash",
    "console": "bash",
    "yaml": "yaml",
    "yml": "yaml",
    "json": "json",
}
TASK_ASK = {
    "zh": "请解释下面这段代码：它做了什么，为什么这样写，哪里可以改进？",
    "en": "Explain the code below: what it does, why it is written so, and what you would improve.",
}


@dataclass
class Made:
    """What the import made of one question, for the report."""

    id: str
    line: int
    points: int
    merged: int  # bullets folded into an earlier one that says the same
    passes: int
    snippets: int
    broken: list[tuple[int, str]] = field(default_factory=list)  # (document line, why) per Python snippet that
    # does not parse


@dataclass
class Draft:
    decks: dict[str, dict]  # deck id -> the deck file's data
    made: list[Made]
    unsure: list[tuple[int, str]]
    language: str


def slug(text: str, width: int = 40) -> str:
    """Lowercase words joined by '-', cut at a word boundary within `width` (ids stay well inside the schema's 120)."""
    value = _SLUG.sub("-", text.lower()).strip("-")
    if len(value) > width:
        value = value[: width + 1].rsplit("-", 1)[0] if "-" in value[: width + 1] else value[:width]
    return value.strip("-")


def _readable_slug(title: str) -> str:
    """A slug of a heading: its English words, else its numbering and a short hash of its text."""
    plain = plain_title(title)
    ascii_part = slug(plain)
    if len(re.sub(r"[^a-z]", "", ascii_part)) >= 6:
        return ascii_part
    number = _NUMBER.match(title.replace("*", ""))
    digest = hashlib.sha256(plain.encode()).hexdigest()[:6]
    head = slug(number.group(1)) if number else ""
    return f"{head}-{digest}" if head else digest


def draft(
    document: Document, name: str, deck: str | None = None, lang: str | None = None, thesaurus: Thesaurus | None = None
) -> Draft:
    all_text = " ".join(p.prompt for q in document.questions for p in q.passes) or document.title
    language = lang or ("zh" if words.is_chinese(all_text) else "en")
    base = deck or slug(document.title) or slug(name) or "imported"
    if deck is None and len(base) < 3:
        base = f"{base}-{_readable_slug(document.title)}".strip("-") if base else _readable_slug(document.title)
    groups: dict[str, list[Found]] = {}
    for question in document.questions:
        top = question.passes[0].headings[0] if question.passes[0].headings else ""
        groups.setdefault(top, []).append(question)
    everywhere = words.everywhere_words([_all_text(q) for q in document.questions])
    decks: dict[str, dict] = {}
    made: list[Made] = []
    unsure = list(document.unsure)
    for top, questions in groups.items():
        ident = base if len(groups) == 1 or deck else f"{base}.{_readable_slug(top) or 'part'}"
        title = plain_title(top) or document.title or name
        topics: dict[str, dict] = {}
        entries = []
        used: set[str] = set()
        for question in questions:
            entry, one = _question(question, ident, language, name, used, topics, everywhere, thesaurus)
            entries.append(entry)
            made.append(one)
        decks[ident] = {
            "deck": {
                "id": ident,
                "title": {language: title},
                "languages": [language],
                "description": {
                    language: f"Imported from {name}: a draft to review."
                    if language == "en"
                    else f"从 {name} 导入的草稿，请审阅。"
                },
                "topics": topics,
            },
            "questions": entries,
        }
    return Draft(decks=decks, made=made, unsure=sorted(unsure), language=language)


def _all_text(question: Found) -> str:
    return "\n".join(
        [one.prompt for one in question.passes]
        + [b.label + " " + b.text for one in question.passes for b in one.bullets]
        + [text for text, _ in question.context]
    )


def _question(
    question: Found,
    deck: str,
    lang: str,
    name: str,
    used: set[str],
    topics: dict[str, dict],
    everywhere: frozenset[str],
    thesaurus: Thesaurus | None,
) -> tuple[dict, Made]:
    first = question.passes[0]
    leaf = first.headings[-1] if first.headings and not first.in_heading else first.prompt
    qid = f"{deck}.{_readable_slug(leaf) or 'q'}"
    while qid in used:
        qid = f"{qid}-{len(used) + 1}"
    used.add(qid)
    topic_title = plain_title(first.headings[1]) if len(first.headings) > 1 else plain_title(leaf)
    topic = _readable_slug(first.headings[1] if len(first.headings) > 1 else leaf) or "general"
    topics.setdefault(topic, {lang: topic_title or topic})
    points, merged = _points(question, words.prompt_words(first.prompt), everywhere)
    if thesaurus is not None:
        points = [(text, thesaurus.widen(terms)) for text, terms in points]
    snippets, broken = _snippets(question, lang)
    prompt = first.prompt
    if question.task:
        prompt = f"{prompt}\n\n{TASK_ASK[lang]}"
    entry = {
        "id": qid,
        "type": "code-review" if question.task else "open",
        "topic": topic,
        "tags": ["imported"],
        "difficulty": "medium",
        "source": _source(question, name),
        "prompt": {lang: prompt},
        "answer": {lang: _answer(question, points)},
        "key_points": [
            {"id": f"p{n}", "point": {lang: text}, "concepts": [{lang: terms}], "require": 1}
            for n, (text, terms) in enumerate(points, start=1)
        ],
    }
    if snippets:
        entry["code"] = snippets
    return entry, Made(
        id=qid,
        line=first.line,
        points=len(points),
        merged=merged,
        passes=len(question.passes),
        snippets=len(snippets),
        broken=broken,
    )


def _points(
    question: Found, excluded: frozenset[str], common: frozenset[str]
) -> tuple[list[tuple[str, list[str]]], int]:
    """(point text, synonyms) for every distinct bullet of every pass, then for the context sentences and a
    task's explanation that no bullet says; how many bullets were folded into an earlier one."""
    kept: list[tuple[frozenset[str], str, list[str]]] = []  # (signature, text, terms)
    merged = 0
    for one in question.passes:
        for bullet in one.bullets:
            label = bullet.label or ""
            sig = words.signature(label or bullet.text)
            terms = words.concept_terms(label, bullet.text, excluded, common)
            twin = next((i for i, (other, _, _) in enumerate(kept) if words.same_point(sig, other)), None)
            if twin is not None:  # the same point again: its text and words join the first's
                other_sig, text, other_terms = kept[twin]
                if bullet.text and bullet.text not in text:
                    text = f"{text}{'；' if words.is_chinese(text) else '; '}{bullet.text}"
                kept[twin] = (other_sig | sig, text, list(dict.fromkeys(other_terms + terms)))
                merged += 1
                continue
            text = (
                f"{label}：{bullet.text}"
                if label and words.is_chinese(label)
                else (f"{label}: {bullet.text}" if label else bullet.text)
            )
            kept.append((sig, text, terms))
    said = [words.signature(text) for _, text, _ in kept]
    extra = [(text, line) for text, line in question.context]
    extra += [(text, one.line) for one in question.passes for text in one.explanation]
    for paragraph, _ in extra:
        for sentence in words.sentences(paragraph):
            sig = words.signature(sentence)
            if len(sig) < 3 or any(_overlap(sig, other) >= 0.6 for other in said):
                continue
            terms = words.concept_terms("", sentence, excluded, common)
            said.append(sig)
            kept.append((sig, sentence.rstrip("。.；;"), terms))
    return [(text, terms) for _, text, terms in kept], merged


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """How much of `a` is said by `b`."""
    return len(a & b) / len(a) if a else 1.0


def _answer(question: Found, points: list[tuple[str, list[str]]]) -> str:
    first = question.passes[0]
    parts = []
    intro = next((" ".join(one.answer) for one in question.passes if one.answer), "")
    if intro:
        parts.append(intro)
    if points:
        parts.append("\n".join(f"- {text}" for text, _ in points))
    if question.task:
        for language, source, _ in (code for one in question.passes for code in one.code):
            parts.append(f"```{language}\n{source.rstrip()}\n```")
    return "\n\n".join(parts) or first.prompt


def _snippets(question: Found, lang: str) -> tuple[list[dict], list[tuple[int, str]]]:
    snippets, broken = [], []
    seen: set[str] = set()
    for one in question.passes:
        for language, source, line in one.code:
            key = "\n".join(ln.rstrip() for ln in source.strip().splitlines())
            if key in seen:
                continue
            seen.add(key)
            kind = CODE_LANGUAGES.get(language, "python" if _looks_python(source) and not language else "text")
            snippet = {
                "language": kind,
                "title": {
                    lang: (
                        f"示例代码（原文第 {line} 行）"
                        if lang == "zh"
                        else f"Example code (line {line} of the document)"
                    )
                },
                "source": source,
            }
            if kind == "python" and (why := syntax_error(source)):
                snippet["broken"] = True
                snippet["title"] = {
                    lang: (
                        f"示例代码（原文第 {line} 行，原样保留：不能解析，{why}）"
                        if lang == "zh"
                        else f"Example code (line {line} of the document, kept as written: it does not parse, {why})"
                    )
                }
                broken.append((line + _snippet_line(why), why))
            snippets.append(snippet)
    return snippets, broken


def _snippet_line(why: str) -> int:
    """The line of the snippet a syntax error names (the fence is line 0)."""
    found = re.search(r"snippet line (\d+)", why)
    return int(found.group(1)) if found else 1


def _looks_python(source: str) -> bool:
    return bool(re.search(r"^\s*(import |from \S+ import |def |class )", source, re.MULTILINE))


def _source(question: Found, name: str) -> str:
    first = question.passes[0]
    path = " › ".join(plain_title(h) for h in first.headings) or "(top)"
    again = [str(one.line) for one in question.passes[1:]]
    more = f"; asked again at line {', '.join(again)}" if again else ""
    return f"{name}: {path}, line {first.line}{more}"

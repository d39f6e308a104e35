"""The interview questions of a Markdown document, found by the labels and headings the genre uses.

    read(text) -> Document

A question starts at a label (`**面试题：**`, `**题目：**`, `**Question:**`, `**Q:**`, or a heading that begins so); a
programming task at `**题目描述：**` / `**Task:**` (or any question inside a section titled 编程题 / coding). Its
answer follows its `答案` / `Answer` label: the answer's bullets (a bold phrase, then its text) become key points,
its other paragraphs the answer's text. Code after the question, or after a `示例代码` / `Example` label, is its code;
an `解析` / `Explanation` label starts a task's explanation. A question asked again later (the genre repeats each
question in two or three answer passes) is one question with several passes, merged in extract.py. The paragraphs
of a section before its question, and of sections that repeat its title without asking anything ("结论" after
"3. 结论"), are its context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from quiz.importing.markdown import Block, Kind, blocks

_NUMBERING = re.compile(r"^\s*(?:第?[0-9一二三四五六七八九十]+[.、．章节题]?\s*)+(?:[0-9]+[.．]?\s*)*")
_Q_HEADING = re.compile(
    r"^\s*(?:面试题|问题|题目|补充|追问|question|q)\s*[0-9]*\s*(?:[(（][^)）]{0,20}[)）])?\s*"
    r"[：:.．、]\s*",
    re.IGNORECASE,
)  # "Q2 (revisited): …", "面试题 4（追问）：…", "补充：…"


class Role(Enum):
    QUESTION = "question"
    TASK = "task"
    ANSWER = "answer"
    CODE = "code"
    EXPLANATION = "explanation"


_LABELS = {
    Role.QUESTION: ("面试题", "问题", "题目", "question", "q", "interview question"),
    Role.TASK: ("题目描述", "编程题", "算法题", "task", "problem", "coding task", "exercise"),
    Role.ANSWER: ("答案", "参考答案", "回答", "答", "answer", "a", "reference answer", "sample answer"),
    Role.CODE: ("示例代码", "代码", "代码示例", "示例", "example", "example code", "code", "sample code"),
    Role.EXPLANATION: ("解析", "答案解析", "说明", "explanation", "analysis", "notes"),
}
_CODING_SECTION = re.compile(r"编程题|算法题|coding|programming", re.IGNORECASE)


def role_of(label: str) -> Role | None:
    key = re.sub(r"[\s\d]+$", "", label.strip().rstrip("：:.．").strip()).lower()
    for role, names in _LABELS.items():
        if key in names:
            return role
    return None


def plain_title(title: str) -> str:
    """A heading without its numbering and bold: "1.1. 开源框架的兴起" -> "开源框架的兴起"."""
    return _NUMBERING.sub("", title.replace("*", "")).strip(" ：:")


@dataclass
class Bullet:
    label: str  # its bold phrase, "" when it has none
    text: str  # the bullet's text after the label
    line: int


@dataclass
class Pass:
    """One time the document asks and answers the question."""

    prompt: str
    line: int
    headings: tuple[str, ...]  # the heading path above it
    answer: list[str] = field(default_factory=list)  # the answer's paragraphs that are not bullets
    bullets: list[Bullet] = field(default_factory=list)
    code: list[tuple[str, str, int]] = field(default_factory=list)  # (language, source, line)
    explanation: list[str] = field(default_factory=list)
    in_heading: bool = False  # asked by a heading ("### Q1: …"), not under one


@dataclass
class Found:
    """A question of the document: one or more passes."""

    task: bool  # a programming task, not an open question
    passes: list[Pass]
    context: list[tuple[str, int]] = field(default_factory=list)  # (paragraph, line) of its section's text


@dataclass
class Document:
    title: str
    sections: list[tuple[str, int]]  # top-level sections' titles and lines, in order
    questions: list[Found]
    unsure: list[tuple[int, str]]  # (line, what the reader could not place)


class _Reader:
    def __init__(self) -> None:
        self.headings: list[tuple[int, str]] = []  # (level, title) from the outermost
        self.current: Pass | None = None
        self.current_task = False
        self.part: Role | None = None
        self.passes: list[tuple[bool, Pass]] = []
        self.section_text: dict[tuple[str, ...], list[tuple[str, int]]] = {}
        self.unsure: list[tuple[int, str]] = []
        self.coding_level: int | None = None  # inside a coding section opened by a heading of this level
        self.bold_levels: set[int] = set()  # levels bold paragraphs took as headings

    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self.headings)

    def heading(self, level: int, title: str, line: int) -> None:
        self.close()
        self.bold_levels = (
            {lv for lv in self.bold_levels if lv < level} if level not in self.bold_levels else self.bold_levels
        )
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        if self.coding_level is not None and level <= self.coding_level and not _CODING_SECTION.search(title):
            self.coding_level = None
        asked = _Q_HEADING.match(title)
        if asked and title[asked.end() :].strip():
            self.start(False, title[asked.end() :].strip(), line)
            self.current.in_heading = True
            return
        self.headings.append((level, title))
        if _CODING_SECTION.search(title):
            self.coding_level = level

    def bold_heading(self, title: str, line: int) -> None:
        """A paragraph all in bold, used as a heading: one level below the last real heading, beside the bold
        headings before it."""
        real = [level for level, _ in self.headings if level not in self.bold_levels]
        level = (real[-1] if real else 0) + 1
        self.bold_levels.add(level)
        self.heading(level, title, line)

    def start(self, task: bool, prompt: str, line: int) -> None:
        self.close()
        self.current = Pass(prompt=prompt, line=line, headings=self.path())
        self.current_task = task or self.coding_level is not None
        self.part = Role.QUESTION
        self.passes.append((self.current_task, self.current))

    def close(self) -> None:
        self.current, self.part = None, None

    def paragraph(self, block: Block) -> None:
        role = role_of(block.label) if block.label else None
        if role in (Role.QUESTION, Role.TASK):
            self.start(role is Role.TASK, block.rest, block.line)
            return
        current = self.current
        if current is None:
            if role is None and block.text:
                self.section_text.setdefault(self.path(), []).append((block.text, block.line))
            elif role is not None:
                self.unsure.append((block.line, f"'{block.label}' outside any question"))
            return
        if role is not None:
            self.part = role
            if block.rest:
                self.paragraph_of(current, block.rest, block)
            return
        self.paragraph_of(current, block.text, block, bullet=block.opens_item)

    def paragraph_of(self, current: Pass, text: str, block: Block, bullet: bool = False) -> None:
        if self.part is Role.QUESTION:
            if bullet or not current.prompt:
                current.prompt = f"{current.prompt}\n{text}".strip() if current.prompt else text
            else:
                current.prompt += "\n\n" + text
        elif self.part is Role.ANSWER:
            if bullet:
                current.bullets.append(
                    Bullet(
                        block.label if block.label and block.rest else "",
                        block.rest if block.label and block.rest else block.text,
                        block.line,
                    )
                )
            else:
                current.answer.append(text)
        elif self.part is Role.EXPLANATION:
            current.explanation.append(text)
            if block.label and block.depth == 0:
                self.part = None  # `**解析：** text` is one paragraph; a bare `**解析：**` heads the ones after it
        else:
            self.unsure.append(
                (block.line, f"text after '{_short(current.prompt)}' that is not part of its answer: left out")
            )

    def code(self, block: Block) -> None:
        if self.current is None:
            self.unsure.append((block.line, "a code block outside any question: left out"))
            return
        self.current.code.append((block.language, block.source, block.line))


def _short(text: str, width: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def read(text: str) -> Document:
    reader = _Reader()
    all_blocks = blocks(text)
    title, sections = "", []
    top = min((b.level for b in all_blocks if b.kind is Kind.HEADING), default=0)
    for block in all_blocks:
        if block.kind is Kind.HEADING:
            if block.level == top:
                sections.append((block.text, block.line))
                title = title or block.text
            reader.heading(block.level, block.text, block.line)
        elif block.kind is Kind.PARAGRAPH and block.bold_only and role_of(block.label) is None and block.depth == 0:
            reader.bold_heading(block.label, block.line)
        elif block.kind is Kind.PARAGRAPH:
            reader.paragraph(block)
        elif block.kind is Kind.CODE:
            reader.code(block)
        elif block.kind is Kind.RULE:
            reader.close()
    return Document(title=plain_title(title), sections=sections, questions=_group(reader), unsure=reader.unsure)


def _group(reader: _Reader) -> list[Found]:
    """Passes that ask the same question are one question; each gets its sections' text as context."""
    found: list[Found] = []
    by_prompt: dict[str, Found] = {}
    for task, one in reader.passes:
        key = _prompt_key(one.prompt)
        if not key:
            reader.unsure.append((one.line, "a question label with no question after it: left out"))
            continue
        if not task and key not in by_prompt:  # tasks read alike ("编写一个 Python 程序……"): exact prompts only
            key = _closest(by_prompt, one.prompt) or key
        if key in by_prompt:
            by_prompt[key].passes.append(one)
        else:
            by_prompt[key] = Found(task=task, passes=[one])
            found.append(by_prompt[key])
    used: set[tuple[str, ...]] = set()
    for question in found:
        titles = {plain_title(one.headings[-1]) for one in question.passes if one.headings}
        for path, paragraphs in reader.section_text.items():
            own = any(path == one.headings for one in question.passes)
            repeated = bool(path) and plain_title(path[-1]) in titles and not _asks_anything(reader, path)
            if own or repeated:
                question.context.extend(paragraphs)
                used.add(path)
    for path, paragraphs in reader.section_text.items():
        if path not in used:
            reader.unsure.extend(
                (line, f"text outside any question (under '{plain_title(path[-1]) if path else ''}'): left out")
                for _, line in paragraphs
            )
    return found


def _asks_anything(reader: _Reader, path: tuple[str, ...]) -> bool:
    return any(one.headings[: len(path)] == path for _, one in reader.passes)


def _closest(by_prompt: dict[str, Found], prompt: str) -> str | None:
    """The earlier open question this prompt asks again in other words: most of the shorter prompt's words in the
    other ("How does dynamic (server-side) batching work" / "How does dynamic batching work"); of several, the one
    sharing the most words with it."""
    from quiz.importing.words import same_point, signature

    mine = signature(prompt.split("\n\n")[0])
    best, best_share = None, 0.0
    for key, found in by_prompt.items():
        theirs = signature(found.passes[0].prompt.split("\n\n")[0])
        share = len(mine & theirs) / len(mine | theirs) if mine | theirs else 0.0
        if not found.task and same_point(mine, theirs) and share > best_share:
            best, best_share = key, share
    return best


def _prompt_key(prompt: str) -> str:
    """What two passes of the same question have in common: the prompt's letters and digits, lowercased."""
    return re.sub(r"[^\w]+", "", prompt.lower().split("\n\n")[0])

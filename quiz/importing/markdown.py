"""A Markdown document as a flat run of blocks, each with its line: what the question finder reads.

    blocks(text) -> [Block, ...]

Headings, paragraphs (a list item's paragraphs say how deep the list is and whether they open the item), code
fences and rules. A paragraph's leading bold phrase is its `label` (`**答案：** ...`, `**免费资源**：...`), the text
after it and its separator its `rest`; a paragraph all in bold (`**1.1. 开源框架的兴起**`) is `bold_only`, which many
documents use as a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from markdown_it import MarkdownIt
from markdown_it.token import Token

_SEPARATOR = re.compile(r"^\s*[：:．.、\-–—]?\s*")
_HAN = re.compile(r"[\u3400-\u9fff]")


class Kind(Enum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    CODE = "code"
    RULE = "rule"


@dataclass(frozen=True)
class Block:
    kind: Kind
    line: int  # 1-based, where the block starts in the document
    text: str = ""  # the paragraph's or heading's text, bold marks dropped, inline code kept in backticks
    level: int = 0  # a heading's level (1-6)
    depth: int = 0  # how many lists the paragraph is inside (0: not in a list)
    opens_item: bool = False  # the first paragraph of its list item: a bullet
    label: str = ""  # the leading bold phrase, without its trailing colon
    rest: str = ""  # the text after the label
    bold_only: bool = False
    language: str = ""  # a code block's fence language
    source: str = ""  # a code block's code


def blocks(text: str) -> list[Block]:
    tokens = MarkdownIt("commonmark").parse(text)
    found: list[Block] = []
    depth = 0
    item_opened = False
    for index, token in enumerate(tokens):
        line = token.map[0] + 1 if token.map else 1
        if token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type == "list_item_open":
            item_opened = True
        elif token.type == "heading_open":
            words = _inline(tokens[index + 1])
            found.append(
                Block(
                    Kind.HEADING,
                    line,
                    text=words.text,
                    level=int(token.tag[1]),
                    label=words.label,
                    rest=words.rest,
                    bold_only=words.bold_only,
                )
            )
        elif token.type == "paragraph_open":
            words = _inline(tokens[index + 1])
            found.append(
                Block(
                    Kind.PARAGRAPH,
                    line,
                    text=words.text,
                    depth=depth,
                    opens_item=item_opened,
                    label=words.label,
                    rest=words.rest,
                    bold_only=words.bold_only,
                )
            )
            item_opened = False
        elif token.type in ("fence", "code_block"):
            found.append(
                Block(
                    Kind.CODE,
                    line,
                    language=token.info.strip().split(" ")[0].lower(),
                    source=_dedent(token.content),
                    depth=depth,
                )
            )
            item_opened = False
        elif token.type == "hr":
            found.append(Block(Kind.RULE, line))
    return found


@dataclass(frozen=True)
class _Words:
    text: str
    label: str
    rest: str
    bold_only: bool


def _inline(token: Token) -> _Words:
    """An inline token's text; its leading bold phrase and what follows it."""
    parts: list[str] = []
    label = None
    bold, bold_start = 0, None
    outside_bold = False
    for child in token.children or []:
        if child.type == "strong_open":
            bold += 1
            if bold_start is None and not "".join(parts).strip():
                bold_start = len(parts)
        elif child.type == "strong_close":
            bold -= 1
            if bold == 0 and bold_start is not None and label is None:
                label = "".join(parts[bold_start:])
                parts.append("\x00")  # where the label ends
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type == "code_inline":
            parts.append(f"`{child.content}`")
            outside_bold |= bold == 0
        elif child.type == "text" or child.type == "html_inline":
            parts.append(child.content)
            outside_bold |= bold == 0 and bool(child.content.strip())
        elif child.type == "image":
            parts.append(child.content)
    joined = "".join(parts)
    head, _, tail = joined.partition("\x00")
    text = _join_lines(joined.replace("\x00", "")).strip()
    if label is None:
        return _Words(text, "", text, False)
    label = _join_lines(label).strip()
    rest = _join_lines(tail)
    rest = _SEPARATOR.sub("", rest, count=1).strip() if not label.endswith(("：", ":")) else rest.strip()
    rest = _SEPARATOR.sub("", rest, count=1) if rest.startswith(("：", ":")) else rest
    return _Words(text, label.rstrip("：:").strip(), rest, not outside_bold and not tail.strip(" ：:"))


def _join_lines(text: str) -> str:
    """A soft line break is a space between English words, nothing between Chinese characters."""
    lines = text.split("\n")
    out = lines[0]
    for line in lines[1:]:
        out += ("" if _HAN.search(out[-1:] or " ") and _HAN.search(line[:1] or " ") else " ") + line
    return out


def _dedent(code: str) -> str:
    """A fence inside a list item keeps its item's indent on blank lines only; strip trailing blanks."""
    lines = [line.rstrip() for line in code.splitlines()]
    return "\n".join(lines).strip("\n") + "\n"

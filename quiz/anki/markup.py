"""Markdown to the HTML an Anki card shows, and an Anki field's HTML back to Markdown."""

from __future__ import annotations

import html

from markdown_it import MarkdownIt
from markdownify import markdownify
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_markdown = MarkdownIt("commonmark").enable("table")
# Inline styles: a card carries no stylesheet of ours, and Anki's phone apps show what the HTML says.
_code_html = HtmlFormatter(noclasses=True, nowrap=False, style="friendly", cssstyles="font-family: monospace;")


def to_html(markdown: str) -> str:
    return _markdown.render(markdown).strip()


def code_html(source: str, language: str) -> str:
    """A highlighted, monospace block (plain and escaped where Pygments has no lexer for the language)."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return f'<pre style="font-family: monospace;">{html.escape(source)}</pre>'
    return highlight(source, lexer, _code_html).strip()


def to_markdown(field_html: str) -> str:
    """An Anki field (HTML, often `<div>`s and `<br>`s, `&nbsp;`) as Markdown."""
    text = markdownify(field_html, heading_style="ATX", bullets="-", strip=["span", "font"])
    lines = [line.rstrip() for line in text.replace("\xa0", " ").splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    out: list[str] = []
    for line in lines:  # at most one blank line in a row
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()

"""The inline Markdown a bank writes in short texts (options, key points, summary cells): `code`, **bold** and
*emphasis* as styled text, so a line shows `tf.data` as code rather than with its backticks. Nothing else of
Markdown is read: a short text is one line of prose."""

from __future__ import annotations

import re

from rich.text import Text

_SPANS = re.compile(r"`(?P<code>[^`]+)`|\*\*(?P<bold>[^*]+)\*\*|(?<![\w*])\*(?P<em>[^*\s][^*]*)\*(?![\w*])")
CODE_STYLE = "bold cyan"


def inline(text: str, style: str = "") -> Text:
    """`text` as Rich Text in `style`, its inline code, bold and emphasis styled on top."""
    out = Text(style=style)
    at = 0
    for match in _SPANS.finditer(text):
        out.append(text[at : match.start()])
        if match["code"] is not None:
            out.append(match["code"], style=CODE_STYLE)
        elif match["bold"] is not None:
            out.append(match["bold"], style="bold")
        else:
            out.append(match["em"], style="italic")
        at = match.end()
    out.append(text[at:])
    return out


def option_label(number: int, option, lang: str) -> str:
    """`2. (b) text`: the key that picks the option, and its letter, which the bank's explanations cite."""
    letter = f"({option.id}) " if len(option.id) == 1 else ""
    return f"{number}. {letter}{option.text(lang)}"


def option_prompt(number: int, option, lang: str, style: str = ""):
    """The option's label as a list shows it: its inline Markdown styled, never read as markup."""
    return inline(option_label(number, option, lang), style)

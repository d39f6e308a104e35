"""Chinese text breaks between characters, with the punctuation rules, wherever the app shows prose: Rich Text,
Textual Content (Static, Markdown, tables, option lists) and the answer box's soft wrap."""

from __future__ import annotations

import argparse

import pytest
from rich.cells import cell_len
from textual.content import Content
from textual.geometry import Region

from quiz.tui import cjk_wrap
from quiz.tui.cjk_wrap import CJK, NO_LINE_END, NO_LINE_START

from .conftest import FIXED_NOW, drive

SENTENCES = [
    "在云上用 GPU 训练 TensorFlow 模型时，有哪些具体手段可以降低一次训练的花费？请说明每种手段的代价或前提。",
    "开源框架（如 TensorFlow、PyTorch）免费提供，社区活跃，还有大量预训练模型可以直接使用，“开箱即用”。",
    "数据并行：每个副本处理全局批次的一部分……梯度经 all-reduce 汇总后同步更新。",
]


def assert_wrapped_well(lines: list[str], width: int, original: str) -> None:
    assert "".join(lines).replace(" ", "") == original.replace(" ", "")  # nothing lost or doubled
    for line, following in zip(lines, lines[1:]):
        assert cell_len(line.rstrip()) <= width
        assert following.lstrip()[:1] not in NO_LINE_START, lines  # no line starts with a closing mark
        assert line.rstrip()[-1:] not in NO_LINE_END, lines  # no line ends with an opening mark
        if CJK.match(following.lstrip()[:1]):  # a break before Chinese text: the line above is full
            assert width - cell_len(line.rstrip()) <= 4, lines


@pytest.fixture(autouse=True)
def installed():
    cjk_wrap.install()


@pytest.mark.parametrize("width", [20, 33, 40, 57, 76])
@pytest.mark.parametrize("sentence", SENTENCES)
def test_content_breaks_chinese_between_characters(sentence, width):
    lines = [line.plain for line in Content(sentence).wrap(width)]
    assert len(lines) > 1 or cell_len(sentence) <= width
    assert_wrapped_well(lines, width, sentence)


@pytest.mark.parametrize("width", [24, 41])
def test_the_answer_box_soft_wrap_breaks_chinese_too(width):
    from textual._wrap import compute_wrap_offsets

    sentence = SENTENCES[1]
    offsets = [0, *compute_wrap_offsets(sentence, width, tab_size=4), len(sentence)]
    lines = [sentence[a:b] for a, b in zip(offsets, offsets[1:])]
    assert_wrapped_well(lines, width, sentence)


def test_text_without_chinese_wraps_exactly_as_before():
    import rich._wrap

    english = "Data parallelism: every replica takes a slice of the global batch, and all-reduce sums the gradients."
    for width in (10, 23, 40):
        assert rich._wrap.divide_line(english, width) == [
            start for start in _divide_with(rich._wrap.words.__wrapped__, english, width)
        ]


def _divide_with(words, text: str, width: int) -> list[int]:
    import rich._wrap

    current = rich._wrap.words
    rich._wrap.words = words
    try:
        return rich._wrap.divide_line(text, width)
    finally:
        rich._wrap.words = current


def test_a_chinese_prompt_fills_its_lines_in_the_app(data_dir):
    """The packaged bank's first questions at 80 columns: the line before a wrapped run of Chinese is full."""
    from quiz.tui.launch import build_app

    app = build_app(argparse.Namespace(bank=None, lang="zh", data_dir=str(data_dir)), now=FIXED_NOW)

    async def scenario(pilot):
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        seen = []
        for _ in range(4):  # the fourth (cloud cost) wraps at 80 columns
            for block in app.screen.query_one("#prompt").children:
                if block.__class__.__name__ == "MarkdownParagraph":
                    width = block.size.width
                    lines = [
                        strip.text.rstrip() for strip in block.render_lines(Region(0, 0, width, block.size.height))
                    ]
                    assert_wrapped_well(lines, width, "".join(lines))
                    seen.append(len(lines))
            if app.focused.__class__.__name__ == "TextArea":
                await pilot.press("escape")  # out of the answer box, so that Space reveals
            await pilot.press("space")
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()
        return seen

    assert max(drive(app, scenario, size=(80, 24))) >= 2  # some prompt did wrap

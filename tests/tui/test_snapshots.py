"""Snapshots of every screen at 80x24 and 120x40 in both languages (pytest-textual-snapshot; the SVGs under
__snapshots__ are the accepted looks). Fixed date, hand clock and seed; cursors do not blink.

Update after an intended change of look:  pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from .conftest import TOY_EXERCISES

LANGS = ("zh", "en")
LOOKS = [(lang, size) for size in ((80, 24), (120, 40)) for lang in LANGS]  # (language, terminal size)
SCREEN_KEYS = {
    "setup": ["p"],
    "stats": ["s"],
    "help": ["question_mark"],
    "exercise_list": ["e"],
    "exercise": ["e", "enter"],
}
ANSWERS = {"zh": "框架免费 可以直接用", "en": "They cost nothing because the frameworks are free"}


async def settle(pilot) -> None:
    """Wait for the due counts, stop the blinking and the toasts, so the picture is the same every run."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query("TextArea, Input"):
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


async def to_question(pilot) -> None:
    await pilot.press("p")
    await pilot.pause()
    await pilot.press("ctrl+s")
    await pilot.pause()


async def to_review(pilot, lang: str) -> None:
    await to_question(pilot)
    await pilot.press(*ANSWERS[lang], "ctrl+s")
    await pilot.pause()


@pytest.mark.parametrize("lang,size", LOOKS, ids=lambda v: v if isinstance(v, str) else "x".join(map(str, v)))
class TestScreens:
    def test_home(self, snap_compare, make_app, lang, size):
        assert snap_compare(make_app(lang), terminal_size=size, run_before=settle)

    def test_question(self, snap_compare, make_app, lang, size):
        async def run_before(pilot):
            await to_question(pilot)
            await pilot.press(*ANSWERS[lang][:6])
            await settle(pilot)

        assert snap_compare(make_app(lang), terminal_size=size, run_before=run_before)

    def test_review(self, snap_compare, make_app, lang, size):
        async def run_before(pilot):
            await to_review(pilot, lang)
            await settle(pilot)

        assert snap_compare(make_app(lang), terminal_size=size, run_before=run_before)

    def test_summary(self, snap_compare, make_app, clock, lang, size):
        async def run_before(pilot):
            await to_question(pilot)
            clock.advance(42)
            await pilot.press(*ANSWERS[lang], "ctrl+s")
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()
            await pilot.press("escape", "escape")
            await settle(pilot)

        assert snap_compare(make_app(lang), terminal_size=size, run_before=run_before)

    @pytest.mark.parametrize("screen", sorted(SCREEN_KEYS))
    def test_screen(self, snap_compare, make_app, lang, size, screen):
        """Screens reached by keys alone from home, showing no answer: the toy exercise for the exercise ones."""

        async def run_before(pilot):
            for key in SCREEN_KEYS[screen]:
                await pilot.press(key)
                await pilot.pause()
            await settle(pilot)

        assert snap_compare(make_app(lang, exercises_root=TOY_EXERCISES), terminal_size=size, run_before=run_before)

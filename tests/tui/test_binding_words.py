"""Every key binding the app declares has Chinese words for the footer and the help screen."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual.binding import Binding

import quiz.tui.screens
from quiz.tui.app import QuizApp
from quiz.tui.i18n import BINDING_WORDS


def declared_bindings() -> list[tuple[str, Binding]]:
    classes = [QuizApp]
    for module_info in pkgutil.iter_modules(quiz.tui.screens.__path__):
        module = importlib.import_module(f"quiz.tui.screens.{module_info.name}")
        classes += [c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__]
    return [
        (cls.__name__, binding)
        for cls in classes
        for binding in cls.__dict__.get("BINDINGS", [])
        if isinstance(binding, Binding)
    ]


def test_the_screens_declare_their_bindings():
    owners = {owner for owner, _ in declared_bindings()}
    assert {"QuizApp", "HomeScreen", "QuestionScreen", "ReviewScreen", "ExerciseScreen"} <= owners


def test_every_binding_description_and_tooltip_has_chinese_words():
    missing = sorted(
        {
            f"{owner}: {text!r}"
            for owner, binding in declared_bindings()
            for text in (binding.description, binding.tooltip)
            if text and text not in BINDING_WORDS
        }
    )
    assert not missing, "add to quiz.tui.i18n.BINDING_WORDS: " + "; ".join(missing)

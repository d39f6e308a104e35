"""Question banks: YAML files checked against a JSON Schema, loaded into typed objects."""

from quiz.bank.loader import check_files, load_bank
from quiz.bank.model import LANGS, Bank, Deck, KeyPoint, Option, Question, Snippet, Terms, Text
from quiz.bank.problems import BankError, Problem

__all__ = [
    "LANGS",
    "Bank",
    "BankError",
    "Deck",
    "KeyPoint",
    "Option",
    "Problem",
    "Question",
    "Snippet",
    "Terms",
    "Text",
    "check_files",
    "load_bank",
]

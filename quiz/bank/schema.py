"""The deck JSON Schema shipped in the package, and its messages turned into ones a bank author can act on."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from quiz.bank.model import LANGS

if TYPE_CHECKING:  # jsonschema is only imported when a file is invalid: it is slow to import (~0.1 s)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "deck.schema.json"


@cache
def deck_schema_text() -> str:
    return Path(__file__).with_name(SCHEMA_FILE).read_text(encoding="utf-8")  # importlib.resources costs ~20 ms


@cache
def deck_schema(languages: tuple[str, ...] = LANGS) -> dict:
    """The schema for a deck written in `languages`: a one-language deck's texts and terms need (and allow) only
    its language."""
    schema = json.loads(deck_schema_text())
    if tuple(languages) != LANGS:
        for name in ("text", "terms"):
            definition = schema["$defs"][name]
            definition["required"] = list(languages)
            definition["properties"] = {lang: definition["properties"][lang] for lang in languages}
    return schema


def declared_languages(data: object) -> tuple[str, ...]:
    """The languages a deck's data declares, in the canonical order; both when it declares none. When what it
    declares is not a list of known languages (the schema reports that), the languages its title has, so that
    one mistake is not reported again on every text."""
    meta = data.get("deck") if isinstance(data, dict) else None
    if not isinstance(meta, dict) or "languages" not in meta:
        return LANGS
    declared = meta["languages"]
    if (
        isinstance(declared, list)
        and declared
        and all(isinstance(lang, str) and lang in LANGS for lang in declared)
        and len(set(declared)) == len(declared)
    ):
        return tuple(lang for lang in LANGS if lang in declared)
    title = meta.get("title")
    return tuple(lang for lang in LANGS if isinstance(title, dict) and lang in title) or LANGS


@cache
def deck_validator(languages: tuple[str, ...] = LANGS) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = deck_schema(languages)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@cache
def fast_check(languages: tuple[str, ...] = LANGS):
    """The same schema compiled to Python code: about 10x faster than jsonschema on valid files, which are most.

    It only says valid or not; jsonschema (the reference) then explains what is wrong. A property test checks
    that both always agree.
    """
    import fastjsonschema

    return fastjsonschema.compile(copy.deepcopy(deck_schema(languages)))  # compile adds keys to the dict it is given


def is_valid_deck(data: object) -> bool:
    from fastjsonschema import JsonSchemaException

    try:
        fast_check(declared_languages(data))(data)
    except JsonSchemaException:
        return False
    return True


def leaf_errors(error: ValidationError) -> list[ValidationError]:
    """The most specific errors: `allOf`/`if` wrappers hide the field that is actually wrong."""
    if error.context:
        return [leaf for sub in error.context for leaf in leaf_errors(sub)]
    return [error]


def describe(error: ValidationError) -> tuple[list[object], bool, str]:
    """(path to point at, whether to point at the key rather than the value, message)."""
    path = list(error.absolute_path)
    field = str(path[-1]) if path and isinstance(path[-1], str) else None
    validator = error.validator
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str)
        names = ", ".join(repr(str(k)) for k in extra)
        return (
            path + [extra[0]] if extra else path,
            True,
            f"unknown key {names}" if len(extra) == 1 else f"unknown keys {names}",
        )
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        owner = f"'{field}' is " if field else ""
        return path, False, f"{owner}missing required key '{missing}'"
    if validator == "not" and isinstance(error.instance, dict):
        if "exercise" in error.instance:
            return path + ["exercise"], True, "'exercise' is only allowed on questions of type 'exercise'"
        if "options" in error.instance or "correct" in error.instance:
            bad = "options" if "options" in error.instance else "correct"
            return path + [bad], True, f"'{bad}' is only allowed on questions of type 'choice'"
    what = f"'{field}'" if field else "value"
    if validator == "type":
        expected = error.validator_value
        names = [_json_type_name(t) for t in (expected if isinstance(expected, list) else [expected])]
        wanted = " or ".join(("an " if n[0] in "aeiou" else "a ") + n for n in names)
        return path, False, f"{what} must be {wanted}, not {_type_of(error.instance)}"
    if validator == "enum":
        choices = ", ".join(repr(c) for c in error.validator_value)
        return path, False, f"{what} must be one of {choices}, not {error.instance!r}"
    if validator in ("minLength", "pattern") and isinstance(error.instance, str):
        if not error.instance.strip():
            return path, False, f"{what} must not be empty"
        return path, False, f"{what} {error.instance!r} is not a valid id (lowercase letters, digits, '-', '_', '.')"
    if validator == "minItems":
        return path, False, f"{what} needs at least {error.validator_value} item(s)"
    if validator == "maxItems":
        return path, False, f"{what} allows at most {error.validator_value} items"
    if validator == "uniqueItems":
        return path, False, f"{what} has duplicate items"
    return path, False, f"{what}: {error.message}"


def _json_type_name(name: str) -> str:
    return {"object": "mapping", "array": "list", "integer": "integer", "string": "string"}.get(name, name)


def _type_of(value: object) -> str:
    if value is None:
        return "empty (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) <= 30 else "a text"
    name = type(value).__name__  # YAML also makes dates, times and binary values
    return ("an " if name[0] in "aeiou" else "a ") + name

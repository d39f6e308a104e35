"""The validator on each kind of broken file: the message a bank author sees, and the line it points at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import quiz.bank
from quiz.bank import BankError, check_files, load_bank
from quiz.bank.model import QuestionType
from tests.bank.conftest import QUESTION, VALID_BANK


def problems_of(*paths: Path, known_exercises=None) -> list[str]:
    _, problems = check_files(list(paths), known_exercises)
    return [str(p) for p in problems]


def test_valid_bank_has_no_problems_and_loads_typed_objects():
    bank = load_bank(VALID_BANK)
    assert [q.id for q in bank.questions] == ["sample.open", "sample.choice"]
    question = bank.by_id["sample.open"]
    assert question.prompt("en") == "Why do open-source frameworks lower the cost?"
    assert question.prompt("zh") == "为什么开源框架降低了成本？"
    assert question.key_points[0].concepts[0].en == ("free",)
    assert question.key_points[0].require == 1  # default: all concepts
    assert bank.by_id["sample.choice"].correct == ("b",)


def test_yaml_syntax_error_points_at_the_line(write):
    path = write("broken.yaml", QUESTION.replace("tags: [x]", "tags: [x"))
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:9:")
    assert "YAML syntax error" in problem


def test_unknown_key_names_question_field_and_line(write):
    path = write("typo.yaml", QUESTION.replace("    answer:", "    anwser:"))
    problems = problems_of(path)
    assert f"{path}:11:5: question 'd.one': unknown key 'anwser'" in problems
    assert f"{path}:5:5: question 'd.one': missing required key 'answer'" in problems


def test_wrong_type_and_enum(write):
    path = write("types.yaml", QUESTION.replace("tags: [x]", "tags: x").replace("difficulty: easy", "difficulty: 3"))
    problems = problems_of(path)
    assert f"{path}:8:11: question 'd.one': 'tags' must be a list, not the text 'x'" in problems
    assert any(p.startswith(f"{path}:9:17: question 'd.one': 'difficulty' must be one of") for p in problems)


def test_missing_language_is_reported_at_the_text(write):
    path = write("lang.yaml", QUESTION.replace("prompt: {zh: 问, en: Q}", "prompt: {zh: 问}"))
    assert problems_of(path) == [
        f"{path}:10:13: question 'd.one': 'prompt' is missing required key 'en' (a deck written in "
        "one language says so: 'languages: [zh]' or '[en]' under 'deck')"
    ]


def test_duplicate_ids_across_files_name_both_places(write):
    first = write("a.yaml", QUESTION)
    second = write("b.yaml", QUESTION.replace("id: d\n", "id: e\n"))
    assert problems_of(first, second) == [f"{second}:5:9: duplicate question id 'd.one' (first defined at {first}:5)"]


def test_correct_option_not_among_options(write):
    choice = QUESTION.replace("type: open", "type: choice") + (
        "    options:\n"
        "      - {id: a, text: {zh: 甲, en: A}}\n"
        "      - {id: b, text: {zh: 乙, en: B}}\n"
        "    correct: [a, d]\n"
    )
    path = write("choice.yaml", choice)
    assert problems_of(path) == [f"{path}:20:18: question 'd.one': correct option 'd' is not among the options (a, b)"]


def test_options_on_an_open_question_are_refused(write):
    path = write("open.yaml", QUESTION + "    correct: [a]\n")
    assert problems_of(path) == [
        f"{path}:17:5: question 'd.one': 'correct' is only allowed on questions of type 'choice'"
    ]


def test_hidden_folders_of_a_bank_directory_are_not_read(write, tmp_path):
    write("deck.yaml", QUESTION)
    write(".github/workflows/ci.yml", "on: push\n")
    write(".#deck.yaml", "not: [a deck\n")
    assert problems_of(tmp_path) == []


def test_python_snippet_that_does_not_parse_points_into_the_snippet(write):
    snippet = (
        "    code:\n"
        "      - language: python\n"
        "        source: |\n"
        "          import tensorflow as tf\n"
        "          x = tf.keras.layers GlobalAveragePooling2D()(x)\n"
    )
    path = write("code.yaml", QUESTION + snippet)
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:21:31:")  # the line and column of the bad token in the file
    assert "question 'd.one': Python snippet does not parse" in problem
    assert "(snippet line 2)" in problem


def test_non_utf8_file_points_at_the_bad_byte(write):
    path = write("latin1.yaml", QUESTION.encode("utf-8").replace("问".encode(), "é".encode("latin-1")))
    [problem] = problems_of(path)
    assert problem == f"{path}:10:18: not UTF-8: byte 0xe9 cannot be decoded"


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n"])
def test_empty_file(write, content):
    path = write("empty.yaml", content)
    assert problems_of(path) == [f"{path}:1:1: empty file: a deck needs 'deck' and 'questions'"]


def test_a_list_instead_of_a_deck(write):
    path = write("list.yaml", "- a\n- b\n")
    assert problems_of(path) == [f"{path}:1:1: a deck file must be a mapping with 'deck' and 'questions', not a list"]


def test_key_given_twice_would_lose_the_first(write):
    path = write(
        "twice.yaml", QUESTION.replace("    difficulty: easy\n", "    difficulty: easy\n    difficulty: hard\n")
    )
    assert problems_of(path) == [
        f"{path}:10:5: key 'difficulty' is given twice in the same mapping (the first would be lost)"
    ]


def test_unknown_exercise(write):
    exercise = QUESTION.replace("type: open", "type: exercise") + "    exercise: nope\n"
    path = write("ex.yaml", exercise)
    assert problems_of(path, known_exercises={"data_parallel"}) == [
        f"{path}:17:15: question 'd.one': unknown exercise 'nope' (known: data_parallel)"
    ]


def test_every_problem_in_one_run(write):
    bad_yaml = write("one.yaml", "deck: [\n")
    typo = write("two.yaml", QUESTION.replace("topic: cost", "topik: cost"))
    empty = write("three.yaml", "")
    problems = problems_of(bad_yaml, typo, empty)
    assert len({p.split(":")[0] for p in problems}) == 3


def test_load_bank_raises_with_every_problem(write):
    path = write("typo.yaml", QUESTION.replace("topic: cost", "topik: cost"))
    with pytest.raises(BankError) as caught:
        load_bank(path)
    assert [str(p) for p in caught.value.problems] == problems_of(path)


def test_changed_file_is_checked_again_not_served_from_cache(write):
    path = write("deck.yaml", QUESTION)
    assert load_bank(path).by_id["d.one"].prompt("en") == "Q"
    assert load_bank(path).by_id["d.one"].prompt("en") == "Q"  # second load: from the cache
    path.write_text(QUESTION.replace("topic: cost", "topik: cost"), encoding="utf-8")
    with pytest.raises(BankError):
        load_bank(path)


def test_duplicate_found_in_cached_files_still_has_line_numbers(write):
    first = write("a.yaml", QUESTION)
    second = write("b.yaml", QUESTION.replace("id: d\n", "id: e\n"))
    load_bank(first), load_bank(second)  # both now cached
    assert problems_of(first, second) == [f"{second}:5:9: duplicate question id 'd.one' (first defined at {first}:5)"]


def test_contradicts_is_typed_and_loaded_and_may_not_repeat_a_synonym(write):
    good = write("good.yaml", QUESTION + "        contradicts: {zh: [要收费], en: [not free, must buy a licence]}\n")
    assert problems_of(good) == []
    point = load_bank(good).by_id["d.one"].key_points[0]
    assert point.contradicts.zh == ("要收费",) and point.contradicts.en == ("not free", "must buy a licence")
    untyped = write("untyped.yaml", QUESTION + "        contradicts: [要收费]\n")
    assert any("'contradicts' must be" in p for p in problems_of(untyped))
    clash = write("clash.yaml", QUESTION + "        contradicts: {zh: [要收费], en: [Free]}\n")
    assert problems_of(clash) == [
        f"{clash}:17:39: question 'd.one': key point 'k' lists 'Free' both as a synonym and as a contradiction"
    ]


def test_negation_denies_is_a_typed_flag_and_a_dump_keeps_it(write):
    from quiz.bank.dump import question_to_dict

    good = write("good.yaml", QUESTION + "        negation_denies: true\n")
    assert problems_of(good) == []
    question = load_bank(good).by_id["d.one"]
    assert question.key_points[0].negation_denies is True
    assert question_to_dict(question)["key_points"][0]["negation_denies"] is True
    assert load_bank(write("plain.yaml", QUESTION)).by_id["d.one"].key_points[0].negation_denies is False
    untyped = write("untyped.yaml", QUESTION + "        negation_denies: sometimes\n")
    assert any("negation_denies" in p for p in problems_of(untyped))


def test_topic_titles_load_in_both_languages_and_a_bad_one_is_pointed_at(write):
    titled = write(
        "titled.yaml",
        QUESTION.replace(
            "  title: {zh: 甲, en: A}\n", "  title: {zh: 甲, en: A}\n  topics:\n    cost: {zh: 成本, en: Cost}\n"
        ),
    )
    bank = load_bank(titled)
    assert (bank.topic_title("cost", "zh"), bank.topic_title("cost", "en")) == ("成本", "Cost")
    assert bank.topic_title("speed", "zh") == "speed"  # untitled: its id
    untranslated = write(
        "half.yaml",
        QUESTION.replace("  title: {zh: 甲, en: A}\n", "  title: {zh: 甲, en: A}\n  topics:\n    cost: {zh: 成本}\n"),
    )
    problems = problems_of(untranslated)
    assert len(problems) == 1 and problems[0].startswith(f"{untranslated}:5:11:") and "'en'" in problems[0], problems


def test_the_question_types_the_schema_allows_are_the_ones_the_code_knows():
    schema = json.loads((Path(quiz.bank.__file__).parent / "deck.schema.json").read_text(encoding="utf-8"))
    allowed = schema["$defs"]["question"]["properties"]["type"]["enum"]
    assert allowed == [t.value for t in QuestionType]

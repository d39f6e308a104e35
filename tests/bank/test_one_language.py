"""A deck written in one language (`languages: [zh]` or `[en]`): what validates, what is refused, how it loads,
is written back and shown whatever --lang says; and a Python snippet kept as a document had it (`broken`)."""

from __future__ import annotations

import pytest

from quiz.bank import load_bank
from quiz.bank.dump import deck_to_dict, write_deck
from quiz.bank.model import Text
from quiz.review.scorer import score_answer
from tests.bank.test_cli import quiz

ZH_DECK = """\
deck:
  id: mine
  title: {zh: 我的题}
  languages: [zh]
  topics: {cost: {zh: 成本}}
questions:
  - id: mine.why-cheap
    type: open
    topic: cost
    tags: []
    difficulty: easy
    prompt: {zh: 为什么开源框架能省钱？}
    answer: {zh: 免费，而且有现成的预训练模型。}
    key_points:
      - id: free
        point: {zh: 框架免费}
        concepts: [{zh: [免费, 不要钱]}]
      - id: pretrained
        point: {zh: 有预训练模型}
        concepts: [{zh: [预训练模型, 现成的模型]}]
        contradicts: {zh: [没有预训练模型]}
"""


def test_a_chinese_only_deck_validates_loads_and_scores(write):
    path = write("mine.yaml", ZH_DECK)
    result = quiz("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok: 1 questions in 1 file(s) are valid"
    bank = load_bank(path)
    question = bank.by_id["mine.why-cheap"]
    assert bank.decks[0].languages == ("zh",) and question.languages == ("zh",)
    assert question.prompt("en") == "为什么开源框架能省钱？"  # shown in the language it has
    assert question.shown_in("en") == "zh" and question.shown_in("zh") == "zh"
    assert bank.topic_title("cost", "en") == "成本"
    scored = score_answer(question, "框架本身不要钱，还能直接用现成的模型做迁移学习。")
    assert scored.covered == ("free", "pretrained")


def test_an_english_only_deck_is_shown_in_english_to_a_chinese_user(write, tmp_path):
    text = (
        ZH_DECK.replace("languages: [zh]", "languages: [en]")
        .replace("{zh: 我的题}", "{en: Mine}")
        .replace("{zh: 成本}", "{en: Cost}")
        .replace("{zh: 为什么开源框架能省钱？}", "{en: Why are frameworks cheap?}")
        .replace("{zh: 免费，而且有现成的预训练模型。}", "{en: They are free and ship pretrained models.}")
        .replace("{zh: 框架免费}", "{en: Free}")
        .replace("[{zh: [免费, 不要钱]}]", "[{en: [free, no cost]}]")
        .replace("{zh: 有预训练模型}", "{en: Pretrained models}")
        .replace("[{zh: [预训练模型, 现成的模型]}]", "[{en: [pretrained]}]")
        .replace("{zh: [没有预训练模型]}", "{en: [no pretrained models]}")
    )
    path = write("mine.yaml", text)
    listed = quiz("list", "--bank", str(path), "--lang", "zh")
    assert listed.returncode == 0, listed.stderr
    assert "mine.why-cheap" in listed.stdout and "Why are frameworks cheap?" in listed.stdout
    assert "note: deck(s) mine written in one language: shown in it" in listed.stderr
    scored = quiz(
        "score",
        "mine.why-cheap",
        "--bank",
        str(path),
        "--lang",
        "zh",
        "--answer",
        "They cost nothing: frameworks are free of charge and come with no pretrained models at all.",
        env={"QUIZ_DATA_DIR": str(tmp_path / "data")},
    )
    assert scored.returncode == 0, scored.stderr
    assert "note: mine.why-cheap's deck is written in en only: shown in it" in scored.stderr
    assert "+ Free" in scored.stdout and "x Pretrained models (wrong" in scored.stdout


def test_the_other_language_in_a_one_language_deck_is_refused_with_the_reason(write):
    path = write(
        "mine.yaml", ZH_DECK.replace("answer: {zh: 免费，而且有现成的预训练模型。}", "answer: {zh: 免费。, en: Free.}")
    )
    result = quiz("validate", str(path))
    assert result.returncode == 1
    assert (
        f"{path}:13:23: question 'mine.why-cheap': unknown key 'en' (the deck declares languages: [zh])"
        in result.stdout.splitlines()
    )


def test_a_bilingual_deck_missing_a_language_is_told_how_to_declare_one(write):
    path = write("mine.yaml", ZH_DECK.replace("  languages: [zh]\n", ""))
    lines = quiz("validate", str(path)).stdout.splitlines()
    assert lines[0] == (
        f"{path}:3:10: 'title' is missing required key 'en' (a deck written in one language says "
        f"so: 'languages: [zh]' or '[en]' under 'deck')"
    )
    assert f"{path}:11:13: question 'mine.why-cheap': 'prompt' is missing required key 'en'" in lines  # hint once


def test_an_unknown_language_is_refused(write):
    path = write("mine.yaml", ZH_DECK.replace("languages: [zh]", "languages: [fr]"))
    result = quiz("validate", str(path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{path}:4:15: value must be one of 'zh', 'en', not 'fr'"]


def test_a_one_language_deck_is_written_back_as_it_was_read(write, tmp_path):
    path = write("mine.yaml", ZH_DECK)
    deck = load_bank(path).decks[0]
    data = deck_to_dict(deck)
    assert data["deck"]["languages"] == ["zh"]
    assert data["questions"][0]["prompt"] == {"zh": "为什么开源框架能省钱？"}
    again = tmp_path / "again" / "mine.yaml"
    again.parent.mkdir()
    write_deck(again, data)
    assert load_bank(again).decks[0].questions == deck.questions


BROKEN = (
    ZH_DECK
    + """\
    code:
      - language: python
        broken: true
        source: |
          x = tf.keras.layers GlobalAveragePooling2D()(x)
"""
)


def test_a_snippet_marked_broken_is_noted_not_failed(write):
    path = write("mine.yaml", BROKEN)
    result = quiz("validate", str(path))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines()[0] == (
        f"{path}:23:9: note: question 'mine.why-cheap': Python snippet kept "
        f"as written, marked broken: invalid syntax (snippet line 1)"
    )
    assert load_bank(path).questions[0].code[0].broken is True


def test_a_broken_snippet_without_the_mark_fails_and_a_mark_on_code_that_parses_too(write):
    unmarked = write("a.yaml", BROKEN.replace("        broken: true\n", ""))
    result = quiz("validate", str(unmarked))
    assert result.returncode == 1 and "Python snippet does not parse: invalid syntax" in result.stdout
    wrong_mark = write(
        "b.yaml",
        BROKEN.replace("tf.keras.layers GlobalAveragePooling2D()(x)", "tf.keras.layers.GlobalAveragePooling2D()(x)"),
    )
    result = quiz("validate", str(wrong_mark))
    assert result.returncode == 1
    assert "Python snippet is marked 'broken: true' but parses: remove the mark" in result.stdout


def test_a_text_is_given_in_the_language_it_has_and_refuses_one_it_cannot_have():
    assert Text(zh="免费", en="")("en") == "免费" and Text(zh="", en="free")("zh") == "free"
    with pytest.raises(ValueError, match="no language 'fr'"):
        Text(zh="免费", en="free")("fr")  # it used to answer in Chinese

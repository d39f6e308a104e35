"""Every flow of the app driven the way a user drives it: keys through Pilot, the real store on disk."""

from __future__ import annotations

from datetime import timedelta

from quiz.review.store import ReviewStore
from quiz.tui.screens.home_screen import HomeScreen
from quiz.tui.screens.question_screen import QuestionScreen
from quiz.tui.screens.review_screen import ReviewScreen
from quiz.tui.screens.summary_screen import SummaryScreen

from .conftest import FIXED_NOW, drive, footer_words, rows, screen_text


async def start_practice(pilot, *types: int) -> None:
    """Home -> Practice -> (tick question types by position) -> Start."""
    await pilot.press("p")
    await pilot.pause()
    if types:
        await pilot.press("tab", "tab", "tab")  # decks -> topics -> tags -> types
        for position in types:
            await pilot.press(*(["down"] * position), "space", *(["up"] * position))
    await pilot.press("ctrl+s")
    await pilot.pause()


def assert_axis_under(screen, sparkline_id: str, start: str, end: str) -> None:
    """The caption on the line under a sparkline names the day at its left end and the day at its right end."""
    spark = screen.query_one(sparkline_id).region
    left, right = screen.query_one(f"{sparkline_id}-start"), screen.query_one(f"{sparkline_id}-end")
    assert (str(left.render()), str(right.render())) == (start, end)
    assert left.region.y == right.region.y == spark.bottom  # the line right below it
    assert left.region.x == spark.x and right.region.right == spark.right


async def reveal(pilot) -> None:
    """Space reveals; from inside the answer box, Escape leaves it first."""
    from textual.widgets import TextArea

    if isinstance(pilot.app.focused, TextArea):
        await pilot.press("escape")
    await pilot.press("space")
    await pilot.pause()


class TestPractice:
    def test_open_question_in_english_scores_rates_and_saves(self, make_app, data_dir):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            assert isinstance(app.screen, QuestionScreen)
            assert "Why do open-source frameworks lower the cost" in screen_text(app)
            await pilot.press(*"They cost nothing because the frameworks are free")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            text = screen_text(app)
            assert "Score 50%" in text and "suggested: Hard" in text
            assert "✓ The frameworks are free to use" in text
            assert "✗ They ship pre-trained models" in text
            assert "The frameworks are free, and they ship pre-trained models" in text  # reference answer
            saved = rows(data_dir, "SELECT question_id, answer, score, missed FROM attempts")
            assert saved == [
                ("basics.open-source", "They cost nothing because the frameworks are free", 0.5, '["pretrained"]')
            ]
            assert rows(data_dir, "SELECT COUNT(*) FROM review_logs") == [(0,)]
            await pilot.press("3")
            await pilot.pause()
            assert rows(data_dir, "SELECT question_id, rating FROM review_logs") == [("basics.open-source", 3)]
            assert isinstance(app.screen, QuestionScreen)
            assert "What does the pooling layer in this code do?" in screen_text(app)

        drive(app, scenario)

    def test_a_point_the_answer_contradicts_shows_as_wrong_and_is_stored_so(self, make_app, data_dir):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press(*"The frameworks are free, but they don't ship pre-trained models")
            await pilot.press("ctrl+s")
            await pilot.pause()
            text = screen_text(app)
            assert "Score 0%" in text  # 1 point covered, 1 stated wrongly: less than the 50% of leaving it out
            assert "✓ The frameworks are free to use  (covered)" in text
            assert "✗ They ship pre-trained models  (wrong: your answer says the opposite)" in text
            assert "“The frameworks are free”" in text  # the words each verdict rests on
            assert "“but they don't ship pre-trained models”" in text
            assert rows(data_dir, "SELECT covered, missed, contradicted FROM attempts") == [
                ('["free"]', "[]", '["pretrained"]')
            ]
            await pilot.press("escape")  # end the session: the summary lists it as wrong
            await pilot.pause()
            assert "wrong: They ship pre-trained models" in screen_text(app)

        drive(app, scenario)

    def test_open_question_in_chinese_enter_accepts_the_suggested_rating(self, make_app, data_dir):
        app = make_app("zh")

        async def scenario(pilot):
            await start_practice(pilot)
            assert "为什么开源框架降低了 AI 开发的成本？" in screen_text(app)
            await pilot.press(*"框架免费 可以直接用")
            await pilot.press("ctrl+s")
            await pilot.pause()
            text = screen_text(app)
            assert "得分 50%" in text and "建议评分：困难" in text
            assert "✓ 框架免费使用" in text and "✗ 提供预训练模型" in text
            await pilot.press("enter")  # the suggestion (Hard) has the focus
            await pilot.pause()
            assert rows(data_dir, "SELECT question_id, rating FROM review_logs") == [("basics.open-source", 2)]
            assert rows(data_dir, "SELECT answer FROM attempts") == [("框架免费 可以直接用",)]

        drive(app, scenario)

    def test_choice_questions_with_number_keys(self, make_app, data_dir):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot, 1)  # only "choice"
            assert "Which hardware suits training deep networks best?" in screen_text(app)
            await pilot.press("2")  # A GPU
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            assert "Score 100%" in screen_text(app)
            assert "**2. (b) A GPU**" in screen_text(app)  # the key and the letter the explanations cite
            await pilot.press("4")
            await pilot.pause()
            assert "Which of these speed up training? (several)" in screen_text(app)
            await pilot.press("1", "3", "ctrl+s")  # data parallelism, smaller batches: half right
            await pilot.pause()
            assert "Score 100%" not in screen_text(app)
            await pilot.press("1")
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            saved = rows(data_dir, "SELECT question_id, answer, score FROM attempts ORDER BY id")
            assert saved[0] == ("basics.gpu", "b", 1.0)
            assert saved[1][:2] == ("basics.parallel", "a c") and saved[1][2] < 1.0

        drive(app, scenario)

    def test_the_review_marks_each_option_picked_right_wrong_or_missed(self, make_app):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot, 1)  # only "choice"
            await pilot.press("1")  # a single-core CPU: wrong
            await pilot.pause()
            text = screen_text(app)
            assert "Your choice" in text
            assert "✗ 1. (a) A single-core CPU  (your pick: wrong)" in text
            assert "✓ 2. (b) A GPU  (right, not picked)" in text
            assert "   3. (c) A spinning disk\n" in text + "\n"  # neither picked nor right: unmarked
            await pilot.press("1")
            await pilot.pause()
            await pilot.press("1", "3", "ctrl+s")  # several right: one right, one wrong, one missed
            await pilot.pause()
            text = screen_text(app)
            assert "✓ 1. (a) Data parallelism with tf.distribute  (your pick: right)" in text  # `code`, no backticks
            assert "✓ 2. (b) Mixed precision  (right, not picked)" in text
            assert "✗ 3. (c) Smaller batches  (your pick: wrong)" in text
            await pilot.press("l")  # in Chinese too
            await pilot.pause()
            text = screen_text(app)
            assert "你的选择" in text and "✗ 3. (c) 更小的批次  (你选了：错误)" in text

        drive(app, scenario)

    def test_a_revealed_choice_question_shows_the_right_options(self, make_app):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot, 1)
            await pilot.press("space")
            await pilot.pause()
            text = screen_text(app)
            assert "Options" in text and "✓ 2. (b) A GPU  (the right answer)" in text and "pick" not in text

        drive(app, scenario)

    def test_arrows_and_enter_choose_an_option(self, make_app, data_dir):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot, 1)
            await pilot.press("down", "enter")  # from option 1 to option 2 (A GPU)
            await pilot.pause()
            assert "Score 100%" in screen_text(app)
            assert rows(data_dir, "SELECT answer FROM attempts") == [("b",)]

        drive(app, scenario)

    def test_shuffle_changes_the_order(self, make_app, bank):
        app = make_app("en")

        async def scenario(pilot):
            await pilot.press("p")
            await pilot.pause()
            await pilot.press(*["tab"] * 5)  # decks, topics, tags, types, count -> the shuffle switch
            await pilot.press("enter")
            assert app.screen.query_one("#shuffle").value is True
            await pilot.press("ctrl+s")
            await pilot.pause()
            shown = []  # per question screen, the ids of the bank prompts it shows
            for _ in bank.questions:
                assert isinstance(app.screen, QuestionScreen)
                text = screen_text(app)
                shown.append([q.id for q in bank.questions if q.prompt("en") in text])
                await pilot.click("#reveal")
                await pilot.pause()
                await pilot.press("1")
                await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            return shown

        shown = drive(app, scenario)
        assert all(len(ids) == 1 for ids in shown), shown
        order = [ids[0] for ids in shown]
        assert sorted(order) == sorted(q.id for q in bank.questions)
        assert order != [q.id for q in bank.questions]

    def test_space_reveals_without_answering(self, make_app, data_dir):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press("space")  # in the answer box Space is a space
            assert app.screen.query_one("#answer").text == " "
            await pilot.press("escape", "space")  # leave the box, then reveal
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            text = screen_text(app)
            assert "Revealed without answering" in text
            assert "✗ The frameworks are free to use" in text and "✗ They ship pre-trained models" in text
            assert rows(data_dir, "SELECT question_id, answer, score FROM attempts") == [
                ("basics.open-source", "", None)
            ]

        drive(app, scenario)

    def test_undo_takes_back_the_last_rating(self, make_app, data_dir):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press("escape", "space", "1")
            await pilot.pause()
            assert rows(data_dir, "SELECT rating FROM review_logs") == [(1,)]
            await pilot.press("escape", "u")  # leave the answer box of question 2, undo
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            assert "basics.open-source" in screen_text(app)
            assert rows(data_dir, "SELECT COUNT(*) FROM review_logs") == [(0,)]
            assert rows(data_dir, "SELECT COUNT(*) FROM cards") == [(0,)]
            await pilot.press("4")
            await pilot.pause()
            assert rows(data_dir, "SELECT question_id, rating FROM review_logs") == [("basics.open-source", 4)]

        drive(app, scenario)

    def test_summary_lists_scores_missed_points_and_times(self, make_app, data_dir, clock):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            clock.advance(65)
            await pilot.press(*"They cost nothing because the frameworks are free", "ctrl+s")
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()
            await pilot.press("escape", "escape")  # leave the answer box, end the session
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            text = screen_text(app)
            assert "Answered 1/4" in text and "mean score 50%" in text
            assert "50% | Good | 01:05" in text
            assert "They ship pre-trained models" in text  # the missed key point
            ended = rows(data_dir, "SELECT mode, ended_at IS NOT NULL FROM sessions")
            assert ended == [("practice", 1)]
            await pilot.press("enter")  # the footer's "Home", though the table has the focus
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)

        drive(app, scenario)

    def test_summary_counts_every_key_point_of_a_revealed_question_as_missed(self, make_app):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            await reveal(pilot)
            await pilot.press("1")
            await pilot.pause()
            await pilot.press("escape", "escape")  # leave the answer box of question 2, end the session
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            text = screen_text(app)
            assert "1 | Why do open-source frameworks low… | revealed | Again" in text
            assert "- 1. **basics.open-source** — The frameworks are free to use; They ship pre-trained models" in text

        drive(app, scenario)

    def test_summary_says_none_when_an_answer_missed_nothing(self, make_app):
        app = make_app("zh")

        async def scenario(pilot):
            await start_practice(pilot, 1)  # only "choice"
            await pilot.press("2")  # the right option
            await pilot.pause()
            await pilot.press("3")  # Good
            await pilot.pause()
            # the multiple-choice question, revealed with Space (as on any question): its correct options are
            # what was missed.
            await pilot.press("space")
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            lines = app.screen.query_one("#missed").source.splitlines()
            assert "- 1. **basics.gpu** — 无" in lines
            assert "- 2. **basics.parallel** — 用 `tf.distribute` 数据并行; 混合精度" in lines
            assert all(line.strip() not in ("-", "*") for line in lines), lines

        drive(app, scenario)


class TestDrillAndMock:
    def test_drill_takes_due_cards_first_then_new_ones(self, make_app, data_dir):
        store = ReviewStore.open(data_dir)
        store.rate("basics.gpu", 1, now=FIXED_NOW - timedelta(days=10))  # Again, long ago: due now
        store.rate("basics.open-source", 4, now=FIXED_NOW - timedelta(days=1))  # Easy yesterday: not due yet
        store.update_settings(new_per_day=1)
        store.close()
        app = make_app("en")

        async def scenario(pilot):
            assert "1 due · 1 new today (of 2 unseen)" in screen_text(app)  # the day's allowance, and the rest
            deck_rows = str(app.screen.query_one("#decks").render()).splitlines()
            assert deck_rows[0].split()[-1] == "Unseen"
            assert sum(int(row.split()[-1]) for row in deck_rows[1:]) == 2  # the decks add up to the summary
            await pilot.press("d")
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)
            assert "1/2 · " in screen_text(app) and app.screen.sub_title == "Drill"
            assert "Which hardware suits training deep networks best?" in screen_text(app)
            await pilot.press("2")
            await pilot.pause()
            await pilot.press("3")
            await pilot.pause()
            assert "2/2 · " in screen_text(app)
            assert "What does the pooling layer" in screen_text(app)  # the first never-reviewed card

        drive(app, scenario)

    def test_mock_interview_times_each_question_and_reports(self, make_app, data_dir, clock):
        app = make_app("en")

        async def scenario(pilot):
            await pilot.press("m")
            await pilot.pause()
            await pilot.press(
                "ctrl+a", "ctrl+k", "2", "tab", "ctrl+a", "ctrl+k", *"60", "ctrl+s"
            )  # 2 questions, 60 s each
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)
            assert "1/2 · " in screen_text(app) and app.screen.sub_title == "Mock interview"
            clock.advance(75)
            app.screen.query_one("#timer").tick()
            assert "this question 01:15 / 01:00 · total 01:15" in screen_text(app)
            assert app.screen.query_one("#timer").has_class("-over")
            await reveal(pilot)
            await pilot.press("1")
            await pilot.pause()
            clock.advance(20)
            app.screen.query_one("#timer").tick()
            assert "this question 00:20 / 01:00 · total 01:35" in screen_text(app)
            await reveal(pilot)
            await pilot.press("3")
            await pilot.pause()
            assert isinstance(app.screen, SummaryScreen)
            text = screen_text(app)
            assert "Mock interview report" in text
            assert "total time 01:35" in text and "1 over the 01:00 budget" in text
            assert "01:15 !" in text and "00:20" in text
            assert rows(data_dir, "SELECT mode FROM sessions") == [("mock",)]
            assert len(rows(data_dir, "SELECT id FROM attempts")) == 2

        drive(app, scenario)


class TestFeel:
    def test_language_switches_on_every_screen(self, make_app):
        app = make_app("zh")

        async def scenario(pilot):
            assert "框架基础" in screen_text(app)
            await pilot.press("l")
            assert "Framework basics" in screen_text(app) and "框架基础" not in screen_text(app)
            await start_practice(pilot)
            await pilot.press("escape", "l")
            await pilot.pause()
            assert "为什么开源框架降低了 AI 开发的成本？" in screen_text(app)
            await pilot.press("l")
            await pilot.pause()
            assert "Why do open-source frameworks lower the cost" in screen_text(app)

        drive(app, scenario)

    def test_the_footer_speaks_the_current_language(self, make_app):
        app = make_app("zh")

        async def scenario(pilot):
            assert {"练习", "复习", "统计", "退出", "帮助"} <= footer_words(app)
            await pilot.press("l")
            await pilot.pause()
            assert {"Practice", "Drill", "Stats", "Quit", "Help"} <= footer_words(app)
            assert not {"练习", "退出"} & footer_words(app)
            await start_practice(pilot)
            assert {"Submit", "Finish"} <= footer_words(app)
            await pilot.press("escape", "l")
            await pilot.pause()
            assert {"提交", "看答案", "结束"} <= footer_words(app)

        drive(app, scenario)

    def test_help_lists_the_keys_of_the_screen(self, make_app):
        app = make_app("en")

        async def scenario(pilot):
            await pilot.press("question_mark")
            await pilot.pause()
            text = screen_text(app)
            assert "Practice" in text and "Drill" in text and "Quit" in text and "Ctrl+P" in text
            await pilot.press("l")  # the language switches under the help too
            await pilot.pause()
            text = screen_text(app)
            assert "## 帮助" in text and "| 按键 | 作用 |" in text and "练习" in text and "Practice" not in text
            assert "`u` | 撤销" not in text and "`q` | 退出" in text and "命令面板" in text
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)

        drive(app, scenario)

    def test_q_quits_from_home_and_escape_goes_back(self, make_app):
        app = make_app("en")

        async def scenario(pilot):
            await pilot.press("s")
            await pilot.pause()
            assert "Statistics" in screen_text(app)
            await pilot.press("q")  # not on home: nothing happens
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)
            await pilot.press("q")
            await pilot.pause()

        drive(app, scenario)
        assert app.return_code == 0

    def test_home_counts_stay_visible_at_80_columns(self, data_dir):
        """Long English deck titles are cut (with …) so the question, due and new counts still show."""
        import argparse
        import re

        from quiz.tui.launch import build_app

        app = build_app(argparse.Namespace(bank=None, lang="en", data_dir=str(data_dir)), now=FIXED_NOW)

        async def scenario(pilot):
            lines = str(app.screen.query_one("#decks").render()).splitlines()
            assert lines[0].split()[-3:] == ["Questions", "Due", "Unseen"]
            assert all(re.search(r"\S\s+\d+\s+\d+\s+\d+$", line) for line in lines[1:]), lines
            assert any("…" in line for line in lines)
            return lines

        assert len(drive(app, scenario)) == len(app.context.bank.decks) + 1

    def test_buttons_fit_their_labels_after_a_language_switch(self, make_app):
        app = make_app("zh")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press("escape", "l")
            await pilot.pause()
            for button_id, label in (("#submit", "Submit (Ctrl+S)"), ("#reveal", "Reveal (Space)")):
                button = app.screen.query_one(button_id)
                assert str(button.label) == label and button.region.width >= len(label) + 2

        drive(app, scenario)

    def test_resizing_keeps_the_question_readable(self, make_app):
        app = make_app("zh")

        async def scenario(pilot):
            await start_practice(pilot)
            for size in ((120, 40), (60, 20), (80, 24)):
                await pilot.resize_terminal(*size)
                await pilot.pause()
                assert app.screen.query_one("#prompt").region.width > 0
                assert app.screen.query_one("#answer").region.height > 0
            assert "为什么开源框架" in screen_text(app)

        drive(app, scenario)

    def test_stats_screen_shows_accuracy_and_history(self, make_app, data_dir):
        store = ReviewStore.open(data_dir)
        for days in (3, 2, 1):
            store.rate("basics.gpu", 3, now=FIXED_NOW - timedelta(days=days))
        store.close()
        app = make_app("en")

        async def scenario(pilot):
            await pilot.press("s")
            await pilot.pause()
            text = screen_text(app)
            assert "Reviews per day, last 30 days (3 in all)" in text
            assert "Cards due per day, next 14 days (1 in all)" in text
            assert sum(app.screen.query_one("#per-day").data) == 3
            assert "Speed | 2 |" in text  # the topic's title from the bank
            assert_axis_under(app.screen, "#per-day", "29 days ago", "today")
            assert_axis_under(app.screen, "#ahead", "today", "in 13 days")
            await pilot.press("l")
            await pilot.pause()
            assert_axis_under(app.screen, "#per-day", "29 天前", "今天")
            assert_axis_under(app.screen, "#ahead", "今天", "13 天后")

        drive(app, scenario)

    def test_a_store_that_cannot_open_ends_the_app_with_one_line(self, make_app, data_dir):
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        data_dir.write_text("a file where the data directory should be")
        app = make_app("en")

        async def scenario(pilot):
            await pilot.pause()

        drive(app, scenario)
        assert app.return_code == 1
        assert app.error_line.startswith(f"cannot create the data directory {data_dir}")
        assert data_dir.read_text() == "a file where the data directory should be"

    def test_a_corrupt_store_is_moved_aside_and_announced(self, make_app, data_dir):
        data_dir.mkdir(parents=True)
        (data_dir / "progress.sqlite3").write_bytes(b"this is not a database" * 100)
        app = make_app("en")

        async def scenario(pilot):
            await pilot.pause()
            toasts = [str(toast.render()) for toast in app.screen.query("Toast")]
            assert any(
                f"The progress file was corrupt: moved to {data_dir / 'progress.sqlite3.unreadable-'}" in t
                and t.endswith(", started a new one")
                for t in toasts
            ), toasts

        drive(app, scenario, notifications=True)
        assert list(data_dir.glob("progress.sqlite3.unreadable-*"))


class TestDrafts:
    """What is typed in an answer box is in the store as it is typed, and comes back with its question."""

    def test_a_half_typed_answer_survives_ctrl_q_and_comes_back(self, make_app, data_dir):
        first = make_app("en")

        async def type_and_quit(pilot):
            await start_practice(pilot)
            await pilot.press(*"The frameworks are fr")
            await pilot.press("ctrl+q")  # at once: no time for the periodic save
            await pilot.pause()

        drive(first, type_and_quit)
        assert first.return_code == 0
        assert rows(data_dir, "SELECT question_id, text FROM drafts") == [
            ("basics.open-source", "The frameworks are fr")
        ]
        second = make_app("en")

        async def come_back(pilot):
            await start_practice(pilot)
            await pilot.pause()
            from textual.widgets import TextArea

            box = second.screen.query_one("#answer", TextArea)
            assert box.text == "The frameworks are fr"
            assert box.cursor_location == (0, len(box.text))  # typing goes on where it stopped
            await pilot.press(*"ee")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(second.screen, ReviewScreen)

        drive(second, come_back)
        assert rows(data_dir, "SELECT answer FROM attempts") == [("The frameworks are free",)]
        assert rows(data_dir, "SELECT COUNT(*) FROM drafts") == [(0,)]  # submitted: no longer a draft

    def test_typing_is_saved_within_half_a_second_and_ending_the_session_keeps_it(self, make_app, data_dir):
        app = make_app("zh")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press(*"abc")
            await pilot.pause(0.8)  # the periodic save, with no key that quits or leaves
            assert rows(data_dir, "SELECT text FROM drafts") == [("abc",)]
            await pilot.press("backspace", "backspace", "backspace", "escape", "escape")  # ends the session
            await pilot.pause()
            assert isinstance(app.screen, HomeScreen)  # nothing was answered: no summary

        drive(app, scenario)
        assert rows(data_dir, "SELECT COUNT(*) FROM drafts") == [(0,)]  # emptied: nothing to keep

    def test_revealing_keeps_the_newest_text_as_the_draft(self, make_app, data_dir):
        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press(*"abc")
            await pilot.pause(0.7)  # saved by the timer
            await pilot.press(*"def", "escape", "space")  # then revealed before the next tick
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)

        drive(app, scenario)
        assert rows(data_dir, "SELECT text FROM drafts") == [("abcdef",)]

    def test_ctrl_q_in_the_code_editor_with_unsaved_changes_warns_first(self, make_app, data_dir):
        from .conftest import TOY_EXERCISES

        app = make_app("en", exercises_root=TOY_EXERCISES)

        async def scenario(pilot):
            await pilot.press("e", "enter", "s", "b")
            await pilot.pause()
            await pilot.press("end", *"# mine", "ctrl+q")
            await pilot.pause()
            assert (
                app.is_running
                and [n.message for n in app._notifications][-1]
                == "Unsaved changes: Ctrl+S saves, Ctrl+Q again quits without saving"
            )
            await pilot.press("ctrl+q")
            await pilot.pause()

        drive(app, scenario, notifications=True)
        assert app.return_code == 0

    def test_ctrl_c_outside_the_answer_box_says_how_to_quit_in_the_current_language(self, make_app):
        app = make_app("zh")

        async def scenario(pilot):
            await pilot.press("ctrl+c")
            await pilot.pause()
            messages = [n.message for n in app._notifications]
            assert messages == ["按 Ctrl+Q 退出（没提交的回答会保存下来）"]

        drive(app, scenario, notifications=True)

    def test_drafts_are_in_the_export(self, make_app, data_dir, capsys):
        from quiz.cli import main

        app = make_app("en")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press(*"half an answer", "ctrl+q")
            await pilot.pause()

        drive(app, scenario)
        assert main(["export", "--format", "csv", "--data-dir", str(data_dir)]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert any(
            line.startswith("draft,") and ",basics.open-source," in line and ",half an answer," in line
            for line in lines
        ), lines


class TestHints:
    def test_a_key_that_does_nothing_says_so_once_and_typing_never_does(self, make_app):
        app = make_app("en")

        def said() -> list[str]:
            return [n.message for n in app._notifications]

        async def scenario(pilot):
            await pilot.press("z", "z")  # home: z is nobody's key
            await pilot.pause()
            assert said() == ["“z” does nothing here: ? lists this screen's keys"]  # once, not twice
            await pilot.press("m")  # mock: the count box has the focus
            await pilot.pause()
            await pilot.press("backspace", "4")
            await pilot.pause()
            assert len(said()) == 1  # typed into the box
            await pilot.press("escape")
            await pilot.pause()
            await start_practice(pilot, 1)  # choice questions: 3 options
            await pilot.press("9")
            await pilot.pause()
            assert said()[-1] == "This question has only 3 options"
            await pilot.press("2")  # the right one: the review and its rating keys
            await pilot.pause()
            assert isinstance(app.screen, ReviewScreen)
            await pilot.press("7", "x")
            await pilot.pause()
            assert said()[-2:] == [
                "“7” does nothing here: ? lists this screen's keys",
                "“x” does nothing here: ? lists this screen's keys",
            ]
            assert isinstance(app.screen, ReviewScreen)  # nothing rated
            await pilot.press("1")  # Again: a real key still works
            await pilot.pause()
            assert isinstance(app.screen, QuestionScreen)

        drive(app, scenario, notifications=True)

    def test_typing_an_answer_raises_no_hint_and_in_chinese_hints_are_chinese(self, make_app):
        app = make_app("zh")

        async def scenario(pilot):
            await start_practice(pilot)
            await pilot.press(*"free 7 x q")
            await pilot.pause()
            assert [n.message for n in app._notifications] == []
            await pilot.press("escape", "z")
            await pilot.pause()
            assert [n.message for n in app._notifications] == ["“z” 在这一页没有作用：按 ? 查看本页的按键"]

        drive(app, scenario, notifications=True)

    def test_the_command_palette_offers_the_apps_own_commands(self, make_app):
        from textual.command import CommandList, CommandPalette

        from quiz.tui.screens.stats_screen import StatsScreen

        app = make_app("en")

        async def search(pilot, words: str) -> list[str]:
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*words)
            await pilot.pause(0.5)
            return [str(option.prompt).split("\n")[0] for option in app.screen.query_one(CommandList)._options]

        async def scenario(pilot):
            await pilot.press("s")
            await pilot.pause()
            assert await search(pilot, "drill") == ["Drill (d)"]
            await pilot.press("escape")
            await pilot.pause()
            assert await search(pilot, "stats") == ["Stats (s)"]
            await pilot.press("escape", "escape")  # home
            await pilot.pause()
            await pilot.press("l")
            await pilot.pause()
            assert await search(pilot, "统计") == ["统计 (s)"]
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, StatsScreen)
            await pilot.press("escape")
            await pilot.pause()
            await start_practice(pilot)  # in a session: no mode starts over it, the rest is there
            await pilot.press("escape")
            found = await search(pilot, "复习")
            assert found == [], found
            await pilot.press("escape")
            await pilot.pause()
            assert await search(pilot, "退出") == ["退出 (Ctrl+Q)"]
            assert isinstance(app.screen, CommandPalette)
            await pilot.press("escape", "question_mark")  # the help over the session: still no mode
            await pilot.pause()
            assert await search(pilot, "练习") == []

        drive(app, scenario)


class TestChineseMode:
    # from each screen to the next: home, setup, question, review, summary, exercise list, exercise, stats
    WALK = [
        [],
        ["p"],
        ["ctrl+s", "escape"],
        ["space"],
        ["escape"],
        ["escape", "e"],
        ["enter"],
        ["escape", "escape", "s"],
    ]

    def test_the_help_of_every_screen_lists_only_the_apps_keys_in_the_current_language(self, make_app):
        import re

        from textual.widgets import Markdown

        from .conftest import TOY_EXERCISES

        english = re.compile(r"[A-Za-z]{3,}")
        app = make_app("zh", exercises_root=TOY_EXERCISES)

        async def scenario(pilot):
            visited = []
            for keys in self.WALK:
                await pilot.press(*keys)
                await pilot.pause()
                visited.append(type(app.screen).__name__)
                await pilot.press("question_mark")
                await pilot.pause()
                assert type(app.screen).__name__ == "HelpScreen", visited
                table = app.screen.query_one(Markdown).source.split("|---|---|\n")[1]
                actions = [row.split("|")[2] for row in table.splitlines()]
                words = {w for a in actions for w in english.findall(a)} - {"EN", "中"}  # the 中/EN switch
                assert not words, (visited[-1], actions)
                assert not {"Focus", "Copy", "Scroll", "Cursor"} & set(" ".join(actions).split()), visited
                await pilot.press("escape")
                await pilot.pause()
            return visited

        assert drive(app, scenario) == [
            "HomeScreen",
            "SetupScreen",
            "QuestionScreen",
            "ReviewScreen",
            "SummaryScreen",
            "ExerciseListScreen",
            "ExerciseScreen",
            "StatsScreen",
        ]

    def test_every_screen_in_chinese_shows_no_english_word_of_the_app(self, make_app, bank):
        """The app's own English words (every English string and key description it has), looked for on every
        screen, its footer, header and toasts in Chinese mode. Content stays as written: question ids and the
        toy exercise's statement, which is in English only."""
        import re

        from quiz.tui.i18n import BINDING_WORDS, STRINGS

        from .conftest import TOY_EXERCISES

        def words(text: str) -> set[str]:
            return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}

        ui = set().union(
            *(words(re.sub(r"\{[^}]*\}", "", en)) for _, en in STRINGS.values()),
            *(words(english) for english in BINDING_WORDS),
        )
        content = (
            words(" ".join(q.id for q in bank.questions))
            | words((TOY_EXERCISES / "toy" / "README.md").read_text(encoding="utf-8"))
            | {"quiz"}
        )
        app = make_app("zh", exercises_root=TOY_EXERCISES)

        async def scenario(pilot):
            seen = {}
            for keys in [*self.WALK, ["escape", "m"]]:
                await pilot.press(*keys)
                await pilot.pause()
                shown = " ".join(
                    [
                        screen_text(app),
                        *footer_words(app),
                        app.title,
                        app.screen.sub_title or "",
                        *(n.message for n in app._notifications),
                    ]
                )
                seen[type(app.screen).__name__] = (words(shown) & ui) - content
            return seen

        seen = drive(app, scenario, notifications=True)
        assert len(seen) == 8 and not any(seen.values()), seen

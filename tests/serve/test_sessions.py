"""Sessions through the real server: answering and rating from a tab, two tabs at once, the cap, tabs that go
away, apps that crash, and the server stopping."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path

import aiohttp

from quiz import paths

from tests.grading.helpers import descendants

from .conftest import Tab, alive, store_rows, wait_until

ANSWERS = (
    "They cost nothing because the frameworks are free",
    "The pooling layer averages each feature map, so there are fewer parameters",
)


async def start_practice(tab: Tab) -> None:
    await tab.wait_for("Practice (p)")
    await tab.press("p")
    await tab.wait_for("Start")
    await tab.press("ctrl+s")


async def answer_and_rate(tab: Tab, answer: str, rating: str) -> None:
    """On a question: type the answer, submit it, and rate it once its score shows."""
    await tab.wait_for("Submit")
    await tab.type(answer)
    await tab.wait_for(answer[:24])
    await tab.press("ctrl+s")
    await tab.wait_for("Score", "Good")
    await tab.press(rating)


async def open_once_free(http, server, within: float = 15.0) -> Tab:
    """A tab that gets an app, opened again while the server still refuses it as full: a closed tab's place frees
    once the server has finished ending its app, a moment after the app's process is gone (a clean-clone run saw
    a tab opened in that moment refused)."""
    deadline = time.monotonic() + within
    while True:
        tab = await Tab.open(http, server)
        try:
            await tab.wait_for("Practice (p)")
            return tab
        except AssertionError:
            if tab.close_code != 1013 or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


def run(scenario) -> None:
    async def with_client():
        async with aiohttp.ClientSession() as http:
            await scenario(http)

    asyncio.run(with_client())


def test_a_tab_answers_and_rates_and_the_rating_is_in_the_store(serve):
    server = serve("--lang", "en")

    async def scenario(http):
        tab = await Tab.open(http, server)
        await start_practice(tab)
        await answer_and_rate(tab, ANSWERS[0], "3")
        await tab.wait_for("Submit", "pooling")  # the next question
        await tab.close()

    run(scenario)
    assert store_rows(server.data_dir, "SELECT question_id, rating FROM review_logs") == [("basics.open-source", 3)]
    assert store_rows(server.data_dir, "SELECT answer FROM attempts") == [(ANSWERS[0],)]


def test_two_tabs_rating_at_the_same_time_lose_nothing(serve):
    server = serve("--lang", "en")

    async def one_tab(http, ratings):
        tab = await Tab.open(http, server)
        await start_practice(tab)
        for answer, rating in zip(ANSWERS, ratings):
            await answer_and_rate(tab, answer, rating)
        await tab.wait_for("Submit")
        await tab.close()

    async def scenario(http):
        await asyncio.gather(one_tab(http, "32"), one_tab(http, "41"))

    run(scenario)
    logs = store_rows(server.data_dir, "SELECT question_id, rating FROM review_logs ORDER BY question_id, rating")
    assert logs == [("basics.open-source", 3), ("basics.open-source", 4), ("basics.pooling", 1), ("basics.pooling", 2)]
    assert len(store_rows(server.data_dir, "SELECT id FROM attempts")) == 4
    assert len(server.app_pids()) == 2  # each tab had an app of its own


def test_closing_a_tab_ends_its_app_and_frees_its_place(serve):
    server = serve("--max-sessions", "1", "--lang", "en")

    async def scenario(http):
        first = await Tab.open(http, server)
        await first.wait_for("Practice (p)")
        refused = await Tab.open(http, server)  # the page's session ends at once, and the page says why
        await refused.wait_closed()
        assert (refused.close_code, refused.close_reason) == (
            1013,
            "All 1 sessions are in use: close another tab first",
        )
        assert list(server.app_pids()) == [1]  # no app was started for it
        pid = server.app_pids()[1]
        await first.close()
        await asyncio.to_thread(wait_until, lambda: not alive(pid), 15, "the closed tab's app ended")
        second = await open_once_free(http, server)  # its place is free again
        await second.close()

    run(scenario)


def test_a_tab_whose_connection_drops_ends_its_app(serve):
    server = serve("--lang", "en")

    async def scenario(http):
        tab = await Tab.open(http, server)
        await tab.wait_for("Practice (p)")
        pid = server.app_pids()[1]
        tab.websocket._response.connection.transport.abort()  # no close frame: the network went away
        await asyncio.to_thread(wait_until, lambda: not alive(pid), 20, "the dropped tab's app ended")

    run(scenario)


def test_an_app_that_crashes_ends_only_its_own_session(serve):
    server = serve("--lang", "en")

    async def scenario(http):
        doomed, other = await Tab.open(http, server), await Tab.open(http, server)
        await doomed.wait_for("Practice (p)")
        await other.wait_for("Practice (p)")
        pids = server.app_pids()
        os.kill(pids[1], signal.SIGKILL)
        await doomed.wait_closed()  # its page shows "Session ended" and why
        assert doomed.close_reason == "The app stopped unexpectedly (exit status -9)"
        assert server.process.poll() is None
        await other.press("l")  # the other session goes on
        await other.wait_for("练习 (p)")
        late = await Tab.open(http, server)  # and new ones start
        await late.wait_for("Practice (p)")
        for tab in (other, late):
            await tab.close()

    run(scenario)
    server.wait_for_line(r"session 1 ended \(app exit status -9\)")


def test_a_half_typed_answer_comes_back_in_a_new_tab(serve):
    server = serve("--lang", "en")
    draft = "Frameworks are free and"

    async def scenario(http):
        tab = await Tab.open(http, server)
        await start_practice(tab)
        await tab.wait_for("Submit")
        await tab.type(draft)
        await tab.wait_for(draft)
        await asyncio.sleep(1.0)  # the app saves drafts every half second
        await tab.close()
        again = await Tab.open(http, server)
        await start_practice(again)
        await again.wait_for(draft)
        await again.close()

    run(scenario)


def test_stopping_the_server_ends_every_app(serve):
    server = serve("--lang", "en")

    async def scenario(http):
        tabs = [await Tab.open(http, server) for _ in range(2)]
        for tab in tabs:
            await tab.wait_for("Practice (p)")
        pids = list(server.app_pids().values())
        assert server.stop() == 0
        for tab in tabs:
            await tab.wait_closed()
        assert not any(alive(pid) for pid in pids)

    run(scenario)


def test_an_exercise_runs_from_a_tab_with_the_built_in_editor(serve, tmp_path):
    """The shipped data_parallel exercise: its starter written into the workspace, edited in the app's own editor
    (a browser has no terminal to hand to $EDITOR, so the server's EDITOR is not passed on), and its real suite
    run by the grader on the server; a tab closed while its solution is graded ends the grading too."""
    server = serve("--lang", "en", "--bank", str(Path(paths.packaged_bank_dir())), env={"EDITOR": "vi"})

    async def scenario(http):
        tab = await Tab.open(http, server, width=120, height=40)
        await tab.wait_for("Practice (p)")
        await tab.press("e")
        await tab.wait_for("data_parallel")
        await tab.press("enter")
        await tab.wait_for("Not started", "Run tests (r)")
        await tab.press("s")
        await tab.wait_for("Workspace:")
        await tab.press("e")
        await tab.wait_for("solution.py", "Save")  # the built-in editor, not a failed vi
        assert "could not" not in tab.text().lower()
        await tab.press("escape")
        await tab.wait_for("Run tests (r)")
        await tab.press("r")
        await tab.wait_for("fail · score 0/20", "14 of 14 tests failed", "NotImplementedError", timeout=120)

        # a solution that hangs: the tab closes while it is graded, and the app goes with all it started
        (server.data_dir / "workspace" / "data_parallel" / "solution.py").write_text("import time\ntime.sleep(600)\n")
        await tab.press("r")
        app = server.app_pids()[1]
        await asyncio.to_thread(wait_until, lambda: len(descendants(app)) >= 3, 60, "the grading processes started")
        started = descendants(app)
        await tab.close()
        await asyncio.to_thread(
            wait_until, lambda: not any(map(alive, [app, *started])), 30, "the app and its grading processes ended"
        )

    run(scenario)
    server.wait_for_line(r"session 1 ended \(app exit status 0\)")  # it quit when asked: not terminated


def test_tabs_opened_and_closed_in_a_burst_never_run_more_apps_than_the_cap(serve):
    """A place is freed when its app has ended, not when its tab closed: closing fast cannot pile apps up."""
    server = serve("--max-sessions", "2")
    peak, sampling = 0, True

    def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, len(server.apps_running()))
            time.sleep(0.01)

    async def scenario(http):
        for _ in range(8):
            tabs = await asyncio.gather(*(Tab.open(http, server) for _ in range(3)))
            await asyncio.sleep(0.1)
            for tab in tabs:
                await tab.close()

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        run(scenario)
        wait_until(lambda: not server.apps_running(), 30, "every app ended")
    finally:
        sampling = False
        sampler.join()
    assert 1 <= peak <= 2


def test_stopping_the_server_while_tabs_connect_leaves_no_app(serve):
    server = serve()

    async def scenario(http):
        connecting = [asyncio.create_task(Tab.open(http, server)) for _ in range(4)]
        await asyncio.sleep(0.005)  # their handshakes in flight, their apps starting
        server.process.send_signal(signal.SIGTERM)
        await asyncio.gather(*connecting, return_exceptions=True)

    run(scenario)
    assert server.process.wait(30) == 0
    wait_until(lambda: not server.apps_running(), 0.5, "every app ended with the server")


def test_apps_end_when_their_server_is_killed(serve):
    server = serve()

    async def scenario(http):
        tabs = [await Tab.open(http, server) for _ in range(2)]
        for tab in tabs:
            await tab.wait_for("Practice (p)")
        server.process.kill()  # SIGKILL: the server's own clean-up never runs
        await asyncio.to_thread(wait_until, lambda: not server.apps_running(), 20, "the orphaned apps ended")

    run(scenario)


def test_messages_outside_the_protocol_are_dropped_and_the_session_goes_on(serve):
    server = serve("--lang", "en")

    async def scenario(http):
        tab = await Tab.open(http, server)
        await tab.wait_for("Practice (p)")
        for junk in (
            '["resize", {"width": Infinity, "height": 1e999}]',
            '["stdin", "\\ud800"]',
            "[" * 100_000,
            '{"not": "a list"}',
            '["stdin", 123]',
            '["ping", {"deep": []}]',
            "not json",
        ):
            await tab.websocket.send_str(junk)
        await tab.websocket.send_bytes(b"\x00\xff binary")
        await tab.press("l")
        await tab.wait_for("练习 (p)")  # the same app, still answering keys
        await tab.close()

    run(scenario)
    assert list(server.app_pids()) == [1]

"""`quiz serve` in a real browser: Debian's headless Chromium, driven by Playwright (its own browsers are never
downloaded). The page loads, the app connects, the zh home screen shows, keys typed in the page answer and rate a
question, and the rating is in the store; the browser asked nothing of any other host.

Skips, with the reason, where Chromium or Playwright is not installed (`.ci/run` installs both)."""

from __future__ import annotations

import base64
import os
import shutil
import time
from urllib.parse import urlsplit

import pyte
import pytest

from .conftest import store_rows

CHROMIUM = os.environ.get("QUIZ_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# flags for a machine with a closed network and no display (FACTS.md): no background calls home, no GPU
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)", allow_module_level=True)

WIDTH, HEIGHT = 1100, 700


class Page:
    """The browser's page, and the app's screen as the page's websocket delivered it, drawn by a terminal emulator
    (the page paints on a canvas, so its text cannot be read from the DOM)."""

    def __init__(self, page):
        self.page = page
        self.requests: list[str] = []
        self.screen: pyte.Screen | None = None
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("websocket", self._watch)

    def _watch(self, websocket) -> None:
        """The page's terminal connects with its size in the address: an emulator of that size draws what comes."""
        self.requests.append(websocket.url)
        size = dict(part.split("=", 1) for part in urlsplit(websocket.url).query.split("&"))
        self.screen = pyte.Screen(int(size["width"]), int(size["height"]))
        stream = pyte.ByteStream(self.screen)
        websocket.on("framereceived", lambda payload: stream.feed(payload) if isinstance(payload, bytes) else None)

    def text(self) -> str:
        return "\n".join(self.screen.display) if self.screen else ""

    def wait_until(self, condition, what: str, timeout: float = 30.0) -> None:
        """Polls with the page's own timer: Playwright delivers the page's events only while it is called."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: not within {timeout} s; the screen shows:\n{self.text()}")
            self.page.wait_for_timeout(50)

    def wait_for(self, *needles: str) -> str:
        self.wait_until(lambda: all(n in self.text() for n in needles), f"{needles!r} on the page")
        return self.text()


def distinct_colours(page, png: bytes) -> tuple[int, float]:
    """How many colours the screenshot has, and the share of its pixels that differ from the top-left one:
    decoded by the browser itself, on a canvas."""
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    return tuple(
        page.evaluate(
            """async (src) => {
        const image = new Image(); image.src = src; await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width; canvas.height = image.height;
        const context = canvas.getContext('2d'); context.drawImage(image, 0, 0);
        const pixels = context.getImageData(0, 0, image.width, image.height).data;
        const colours = new Set(); let differing = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            const colour = (pixels[i] << 16) | (pixels[i + 1] << 8) | pixels[i + 2];
            colours.add(colour);
            if (colour !== ((pixels[0] << 16) | (pixels[1] << 8) | pixels[2])) differing++;
        }
        return [colours.size, differing / (pixels.length / 4)];
    }""",
            data_url,
        )
    )


@pytest.fixture
def browser():
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def test_the_app_in_chromium_answers_rates_and_stores(serve, browser, tmp_path):
    server = serve("--lang", "zh")
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    watched = Page(page)
    page.goto(server.url + "/")
    page.wait_for_selector("body.-first-byte", timeout=30_000)  # the app connected and painted
    home = watched.wait_for("练习 (p)", "复习 (d)", "共 4 题")

    shot = page.screenshot(path=os.environ.get("QUIZ_TEST_SCREENSHOT") or str(tmp_path / "home-zh.png"))
    colours, covered = distinct_colours(page, shot)
    assert colours >= 8 and covered > 0.02, (colours, covered, home)

    page.locator("#terminal").click()
    page.keyboard.press("p")
    watched.wait_for("开始")
    page.keyboard.press("Control+s")
    watched.wait_for("提交")
    page.keyboard.type("开源框架免费，不用花钱")
    watched.wait_for("开源框架免费")
    page.keyboard.press("Control+s")
    watched.wait_for("得分")
    page.keyboard.press("3")
    watched.wait_until(
        lambda: store_rows(server.data_dir, "SELECT COUNT(*) FROM review_logs") == [(1,)], "the rating in the store"
    )
    assert store_rows(
        server.data_dir, "SELECT question_id, rating, answer FROM review_logs JOIN attempts USING (question_id)"
    ) == [("basics.open-source", 3, "开源框架免费，不用花钱")]

    origin = urlsplit(server.url).netloc
    assert watched.requests and all(urlsplit(url).netloc == origin for url in watched.requests), watched.requests


def test_a_tab_past_the_cap_says_why_and_starts_once_a_place_is_free(serve, browser):
    server = serve("--lang", "en", "--max-sessions", "1")
    first = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    watched = Page(first)
    first.goto(server.url + "/")
    watched.wait_for("Practice (p)")

    second = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    second.goto(server.url + "/")
    second.wait_for_selector("body.-closed", timeout=30_000)
    ended = second.locator(".ended")
    assert ended.is_visible()
    assert ended.inner_text().split("\n")[:2] == [
        "Session ended.",
        "All 1 sessions are in use: close another tab first",
    ]

    first.locator("#terminal").click()
    first.keyboard.press("Control+q")  # quitting the app ends its tab's session, and frees its place
    first.wait_for_selector("body.-closed", timeout=30_000)
    assert first.locator("#reason").inner_text() == ""
    server.wait_for_line(r"session 1 ended")  # its place is free once its app has ended
    again = Page(second)  # watching before the click: its websocket can open while click() still runs
    second.get_by_role("button", name="Start again").click()
    again.wait_for("Practice (p)")

"""What keeps `quiz serve` safe to leave running: loopback by default, a token off loopback, no other site's page
driving it, nothing loaded from outside the machine, and bad options refused in one line."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
from html.parser import HTMLParser

import aiohttp
import pytest

from .conftest import BANK, Tab

TOKEN = "correct-horse-battery"


def fetch(url: str, **options) -> tuple[int, dict, str]:
    async def get():
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(url, allow_redirects=False, **options) as response:
                return response.status, dict(response.headers), (await response.read()).decode(errors="replace")
    return asyncio.run(get())


class Links(HTMLParser):
    """Every address the page names: scripts, stylesheets, icons, images, and url(...) in its styles."""

    def __init__(self):
        super().__init__()
        self.addresses: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in ("src", "href", "data-session-websocket-url") and value:
                self.addresses.append(value)

    def handle_data(self, data):
        if self._in_style:
            self.addresses += re.findall(r"url\(\s*['\"]?([^'\")]+)", data)
            self.addresses += re.findall(r"@import\s+['\"]([^'\"]+)", data)


def test_the_page_and_everything_it_names_come_from_the_server(serve):
    server = serve("--lang", "zh")
    status, headers, html = fetch(server.url + "/")
    assert status == 200
    links = Links()
    links.feed(html)
    assert len(links.addresses) >= 5  # stylesheet, script, two fonts, the websocket
    for address in links.addresses:
        assert address.startswith(("/", "data:", f"ws://{server.host_port}/")), address
        if address.startswith("/"):
            assert fetch(server.url + address)[0] == 200, address
    # the browser itself is told to load nothing from anywhere else
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "http" not in policy
    _, _, stylesheet = fetch(server.url + "/static/css/xterm.css")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", stylesheet) and "@import" not in stylesheet
    assert "fonts.googleapis" not in html and "会话已结束" in html


def test_a_loopback_server_answers_only_loopback_names(serve):
    server = serve()
    assert server.address.startswith("http://127.0.0.1:")
    port = server.host_port.split(":")[1]
    assert fetch(f"http://localhost:{port}/")[0] == 200
    status, _, text = fetch(server.url + "/", headers={"Host": f"rebound.example:{port}"})
    assert status == 403 and "only requests addressed to this machine" in text


def test_a_page_of_another_site_cannot_open_a_session(serve):
    server = serve()

    async def scenario():
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await Tab.open(http, server, origin="http://evil.example")
            assert refused.value.status == 403
            tab = await Tab.open(http, server, origin=server.url)  # the page's own origin is welcome
            await tab.wait_for("Practice (p)")
            await tab.close()
    asyncio.run(scenario())
    assert len(server.app_pids()) == 1


def test_off_loopback_a_token_is_generated_and_every_request_needs_it(serve):
    server = serve("--host", "0.0.0.0")
    token = re.search(r"\?token=(\S+)", server.address).group(1)
    assert len(token) >= 20 and any("token is required" in line for line in server.lines)
    port = server.host_port.split(":")[1]
    base = f"http://127.0.0.1:{port}"
    for path in ("/", "/static/js/textual.js", "/?token=wrong-token-here"):
        status, _, text = fetch(base + path)
        assert status == 401 and "needs its token" in text, path

    async def scenario():
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await http.ws_connect(f"ws://127.0.0.1:{port}/ws")
            assert refused.value.status == 401
            async with http.get(f"{base}/?token={token}&fontsize=18", allow_redirects=False) as first:
                assert first.status == 303 and first.headers["Location"] == "/?fontsize=18"  # the token leaves the bar
                assert "HttpOnly" in first.headers["Set-Cookie"]
            async with http.get(base + "/") as page:  # the cookie carries it from now on
                assert page.status == 200
            websocket = await http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30")
            tab = Tab(websocket, 100, 30)
            await tab.wait_for("Practice (p)")
            await tab.close()
    asyncio.run(scenario())


def test_a_given_token_is_used_on_loopback_too(serve):
    server = serve("--token", TOKEN)
    assert server.address.endswith(f"?token={TOKEN}")
    assert fetch(server.url + "/")[0] == 401
    assert fetch(f"{server.url}/?token={TOKEN}")[0] == 303


def quiz_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "quiz", "serve", "--bank", str(BANK), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("args", "line", "code"), [
    (["--port", "70000"], "quiz: --port must be 0-65535, not 70000", 2),
    (["--max-sessions", "0"], "quiz: --max-sessions must be 1-64, not 0", 2),
    (["--token", "short"], "quiz: --token must be at least 8 characters", 2),
    (["--bank", "/nonexistent/bank"], "quiz: no such bank: /nonexistent/bank", 2),
])
def test_bad_options_are_one_line_and_an_exit_code(args, line, code):
    done = quiz_serve(*args)
    assert (done.returncode, done.stderr.strip(), done.stdout) == (code, line, "")


def test_a_port_in_use_is_one_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = quiz_serve("--port", str(port))
    assert done.returncode == 1
    assert done.stderr.strip() == f"quiz: cannot listen on 127.0.0.1:{port}: Address already in use"

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
    assert len(links.addresses) >= 4  # stylesheet, script, two fonts
    for address in links.addresses:
        assert address.startswith(("/", "data:")), address
        if address.startswith("/"):
            assert fetch(server.url + address)[0] == 200, address
    # the websocket: the page's own address, built by its script from where the browser found it
    assert 'window.location.host + "/ws"' in html
    # the browser itself is told to load nothing from anywhere else, on every response
    for response_headers in (
        headers,
        fetch(server.url + "/static/js/textual.js")[1],
        fetch(server.url + "/download/nothing")[1],
        fetch(server.url + "/nowhere")[1],
    ):
        policy = response_headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "http" not in policy
        assert response_headers["X-Content-Type-Options"] == "nosniff"
    _, _, stylesheet = fetch(server.url + "/static/css/xterm.css")
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", stylesheet) and "@import" not in stylesheet
    assert "fonts.googleapis" not in html and "会话已结束" in html


def test_a_loopback_server_answers_only_loopback_names(serve):
    server = serve()
    assert server.address.startswith("http://127.0.0.1:")
    port = server.host_port.split(":")[1]
    assert fetch(f"http://localhost:{port}/")[0] == 200
    for host in (
        f"rebound.example:{port}",
        'localhost:1"><script>alert(1)</script>',
        "localhost.evil",
        f"localhost#@evil:{port}",
    ):
        status, _, text = fetch(server.url + "/", headers={"Host": host})
        assert status == 403 and "only requests addressed to this machine" in text, host


def test_a_page_of_another_site_cannot_open_a_session(serve):
    server = serve()

    async def scenario():
        async with aiohttp.ClientSession() as http:
            for origin in (
                "http://evil.example",
                "null",
                f"https://{server.host_port}",
                f"file://{server.host_port}",
                f"http://{server.host_port}.evil.example",
            ):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await Tab.open(http, server, origin=origin)
                assert refused.value.status == 403, origin
            tab = await Tab.open(http, server, origin=server.url)  # the page's own origin is welcome
            await tab.wait_for("Practice (p)")
            await tab.close()

    asyncio.run(scenario())
    assert len(server.app_pids()) == 1


def test_off_loopback_a_token_is_generated_and_the_page_and_its_session_need_it(serve):
    server = serve("--host", "0.0.0.0")
    token = re.search(r"\?token=(\S+)", server.address).group(1)
    assert len(token) >= 20
    server.wait_for_line("the token is required")
    port = server.host_port.split(":")[1]
    base = f"http://127.0.0.1:{port}"
    for path in ("/", "/?token=wrong-token-here", f"/?token={token}x", "/nowhere"):
        status, _, text = fetch(base + path)
        assert status == 401 and "needs its token" in text, path
    status, headers, _ = fetch(f"{base}/?token={token}")
    assert status == 200 and "Set-Cookie" not in headers  # no cookie: every port of this host would be sent it
    assert fetch(base + "/static/js/textual.js")[0] == 200  # textual-serve's public files

    async def scenario():
        async with aiohttp.ClientSession() as http:
            for path in ("/ws", "/ws/wrong-token-here", f"/ws/{token}x"):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"ws://127.0.0.1:{port}{path}")
                assert refused.value.status == 401, path
            websocket = await http.ws_connect(f"ws://127.0.0.1:{port}/ws/{token}?width=100&height=30")
            tab = Tab(websocket, 100, 30)
            await tab.wait_for("Practice (p)")
            await tab.close()

    asyncio.run(scenario())
    assert len(server.app_pids()) == 1


def test_a_given_token_is_used_on_loopback_too(serve):
    server = serve("--token", TOKEN)
    assert server.address.endswith(f"?token={TOKEN}")
    assert fetch(server.url + "/")[0] == 401
    assert fetch(f"{server.url}/?token={TOKEN}")[0] == 200


def quiz_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "quiz", "serve", "--bank", str(BANK), *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("args", "line", "code"),
    [
        (["--port", "70000"], "quiz: --port must be 0-65535, not 70000", 2),
        (["--max-sessions", "0"], "quiz: --max-sessions must be 1-64, not 0", 2),
        (
            ["--token", "short"],
            "quiz: --token must be at least 8 characters, each a letter, a digit or one of - _ . ~",
            2,
        ),
        (
            ["--token", "has/slash/in/it"],
            "quiz: --token must be at least 8 characters, each a letter, a digit or one of - _ . ~",
            2,
        ),
        (["--bank", "/nonexistent/bank"], "quiz: no such bank: /nonexistent/bank", 2),
    ],
)
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

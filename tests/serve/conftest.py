"""`quiz serve` as a user starts it: the real command in its own process, on a free port, with a small bank and a
data dir of the test's own; and a tab that speaks the page's websocket protocol, its screen rendered by a real
terminal emulator (pyte), for the tests that need no browser."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp
import pyte
import pytest

from tests.grading.helpers import alive

BANK = Path(__file__).parents[1] / "tui" / "bank"
KEYS = {
    "enter": "\r",
    "ctrl+s": "\x13",
    "ctrl+q": "\x11",
    "escape": "\x1b",
    "tab": "\t",
    "space": " ",
    "down": "\x1b[B",
    "up": "\x1b[A",
}
STARTED = re.compile(r"session (\d+) started \(pid (\d+)\)")


class Served:
    """A running `quiz serve`: its address, its log, and the pids of the apps it started."""

    def __init__(self, args: list[str], data_dir: Path, env: dict | None = None):
        self.data_dir = data_dir
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "quiz",
                "serve",
                "--port",
                "0",
                "--bank",
                str(BANK),
                "--data-dir",
                str(data_dir),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        for stream in (self.process.stdout, self.process.stderr):
            threading.Thread(target=self._read, args=(stream,), daemon=True).start()
        first = self.wait_for_line(r"quiz serve: open (\S+)")
        self.address = first.group(1)
        self.url = self.address.split("?", 1)[0].rstrip("/")
        self.host_port = self.url.split("://", 1)[1]

    def _read(self, stream) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def wait_for_line(self, pattern: str, after: int = 0, timeout: float = 30.0) -> re.Match:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if match := re.search(pattern, line):
                        return match
                if self.process.poll() is not None and not self._changed.wait(0.2):
                    raise AssertionError(f"quiz serve exited ({self.process.returncode}): {self.lines}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no line matching {pattern!r} in {timeout} s: {self.lines}")
                self._changed.wait(min(left, 0.5))

    def apps_running(self) -> list[int]:
        """Every live `quiz` app of this server's, found by its command line (an app may run before the log has
        named it)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != self.process.pid:
                try:
                    argv = (entry / "cmdline").read_bytes().split(b"\0")
                except OSError:
                    continue
                if b"quiz" in argv[1:3] and str(self.data_dir).encode() in argv and alive(int(entry.name)):
                    found.append(int(entry.name))
        return found

    def app_pids(self) -> dict[int, int]:
        """session number -> app pid, for every session started so far"""
        return {int(m.group(1)): int(m.group(2)) for line in list(self.lines) if (m := STARTED.search(line))}

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def wait_until(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.1)


@pytest.fixture
def serve(tmp_path):
    started: list[Served] = []

    def start(*args: str, env: dict | None = None) -> Served:
        server = Served(list(args), tmp_path / "data", env)
        started.append(server)
        return server

    yield start
    for server in started:
        pids = server.app_pids().values()
        server.stop()
        for pid in pids:  # stopping the server ends every app it started
            wait_until(lambda: not alive(pid), 15, f"app {pid} ended with the server")


class Tab:
    """A browser tab without a browser: the websocket the page opens, its output drawn by a terminal emulator."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse, width: int, height: int):
        self.websocket = websocket
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.ByteStream(self.screen)
        self.closed = False
        self.close_code: int | None = None
        self.close_reason = ""
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def open(
        cls, session: aiohttp.ClientSession, server: Served, width: int = 100, height: int = 30, **options
    ) -> Tab:
        websocket = await session.ws_connect(f"ws://{server.host_port}/ws?width={width}&height={height}", **options)
        return cls(websocket, width, height)

    async def _read(self) -> None:
        while True:
            message = await self.websocket.receive()
            if message.type == aiohttp.WSMsgType.BINARY:
                self.stream.feed(message.data)
            elif message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                self.close_code, self.close_reason = self.websocket.close_code, message.extra or ""
                break
        self.closed = True

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, *needles: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if all(needle in text for needle in needles):
                return text
            if self.closed or time.monotonic() > deadline:
                raise AssertionError(
                    f"{needles!r} not on the screen ({'closed' if self.closed else 'timeout'}):\n{text}"
                )
            await asyncio.sleep(0.05)

    async def press(self, *keys: str) -> None:
        for key in keys:
            await self.websocket.send_str(json.dumps(["stdin", KEYS.get(key, key)]))
            await asyncio.sleep(0.05)

    async def type(self, text: str) -> None:
        await self.websocket.send_str(json.dumps(["stdin", text]))

    async def wait_closed(self, timeout: float = 20.0) -> None:
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    async def close(self) -> None:
        await self.websocket.close()
        self._reader.cancel()


def store_rows(data_dir: Path, sql: str) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(data_dir / "progress.sqlite3") as connection:
        return connection.execute(sql).fetchall()

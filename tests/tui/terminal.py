"""Driving the real `quiz` command in a real terminal (tmux): used by the terminal test and the startup
benchmark. Each use gets its own tmux server socket, so it cannot touch anyone else's sessions."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path


class Terminal:
    def __init__(
        self, command: list[str], *, width: int = 80, height: int = 24, env: dict | None = None, cwd: str | None = None
    ):
        self.socket = f"quiz-test-{os.getpid()}-{time.monotonic_ns()}"
        self.name = "quiz"
        environment = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        # keep the pane after the command ends so its exit status can be read
        shell = f"{environment} {shlex.join(command)}; echo EXIT=$?; sleep 30"
        if cwd:
            shell = f"cd {shlex.quote(cwd)} && {shell}"
        self._tmux("new-session", "-d", "-s", self.name, "-x", str(width), "-y", str(height), shell)

    @staticmethod
    def available() -> bool:
        return shutil.which("tmux") is not None

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        return out.stdout

    def text(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def wait_for(self, *needles: str, timeout: float = 60.0, poll: float = 0.1) -> str:
        """The screen once every needle shows on it at the same time; raises with the screen on timeout.
        Polls rather than sleeps, with a deadline generous enough for a loaded 2-core machine; asserting on the
        screen this returns (not on a later capture) keeps a half-painted frame out of the test."""
        deadline = time.perf_counter() + timeout
        while True:
            screen = self.text()
            if all(needle in screen for needle in needles):
                return screen
            if time.perf_counter() > deadline:
                raise AssertionError(f"{needles!r} did not all appear in {timeout} s; the screen shows:\n{screen}")
            time.sleep(poll)

    def wait_gone(self, needle: str, timeout: float = 60.0, poll: float = 0.1) -> str:
        """The screen once `needle` has left it (a screen was closed); raises with the screen on timeout."""
        deadline = time.perf_counter() + timeout
        while True:
            screen = self.text()
            if needle not in screen:
                return screen
            if time.perf_counter() > deadline:
                raise AssertionError(f"{needle!r} still on the screen after {timeout} s:\n{screen}")
            time.sleep(poll)

    def keys(self, *keys: str, literal: bool = False) -> None:
        self._tmux("send-keys", "-t", self.name, *(["-l"] if literal else []), *keys)

    def app_pid(self) -> int:
        """The command the pane's shell runs."""
        shell = self._tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if fields[1] == shell:  # its parent
                return int(stat.parent.name)
        raise AssertionError("the pane runs no command")

    def kill_app(self) -> None:
        """SIGKILL to the command the pane's shell runs: no handler of it runs, as when a machine dies."""
        os.kill(self.app_pid(), 9)

    def close(self) -> None:
        path = self._tmux("display-message", "-p", "#{socket_path}").strip()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30)
        if path:
            Path(path).unlink(missing_ok=True)

    def __enter__(self) -> "Terminal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

"""One browser tab's app: a `quiz` process in a session of its own, fed by the tab's websocket and ended with it.

textual-serve's AppService speaks the protocol (framed stdin packets in, framed stdout packets out). It starts the
app through a shell and, to stop it, asks it to quit and waits for as long as that takes; here the app runs
without a shell in its own process group, so that ending a session ends everything it started, and an app that
does not quit in time is terminated, then killed.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import itertools
import os
import shlex
import signal
from collections.abc import Awaitable, Callable, Sequence

from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

QUIT_GRACE_S = 5.0  # an app asked to quit saves its drafts and closes its store in well under this
TERMINATE_GRACE_S = 2.0
DROPPED_ENV = ("VISUAL", "EDITOR")  # no terminal to hand over in a browser: the app's own editor is used
_numbers = itertools.count(1)
PR_SET_PDEATHSIG = 1


def end_with_parent(parent: int) -> None:
    """In the app's process before it runs: SIGTERM when the server dies, even by SIGKILL (its stdin closing
    does not end a Textual app under the web driver, and it has a session of its own, so no SIGHUP comes)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the server died before the line above
        os._exit(1)


class AppSession(AppService):
    def __init__(
        self,
        argv: Sequence[str],
        *,
        write_bytes: Callable[[bytes], Awaitable[None]],
        write_str: Callable[[str], Awaitable[None]],
        close: Callable[[], Awaitable[None]],
        download_manager: DownloadManager,
    ):
        super().__init__(
            shlex.join(argv),
            write_bytes=write_bytes,
            write_str=write_str,
            close=close,
            download_manager=download_manager,
        )  # the command, shown only: _open_app_process runs argv
        self.argv = tuple(argv)
        self.number = next(_numbers)
        self._ending: asyncio.Task | None = None
        self._end_requested = False

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        environment = super()._build_environment(width, height)
        for name in DROPPED_ENV:
            environment.pop(name, None)
        return environment

    async def _open_app_process(self, width: int = 80, height: int = 24):
        self._process = process = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=self._build_environment(width, height),
            start_new_session=True,
            preexec_fn=functools.partial(end_with_parent, os.getpid()),
        )
        self._stdin = process.stdin
        return process

    async def start(self, width: int, height: int) -> None:
        if self._end_requested:  # ended before it began (the server is stopping): nothing to start
            return
        await super().start(width, height)
        if self._end_requested:  # end() came while the process was starting, and found none to end
            await self._end()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode if self._process is not None else None

    async def finished(self) -> None:
        """Returns when the app's output has ended: it quit, crashed or was killed."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def exit_status(self, timeout: float = TERMINATE_GRACE_S) -> int | None:
        """The app's exit status once its output has ended (None if it is still running after `timeout`)."""
        if self._process is None:
            return None
        try:
            return await asyncio.wait_for(self._process.wait(), timeout)
        except TimeoutError:
            return None

    async def end(self) -> None:
        """Ask the app to quit; terminate its process group if it has not in QUIT_GRACE_S, kill it after that.
        Called by the tab's handler and by the server stopping: the second call waits for the first."""
        self._end_requested = True
        if self._ending is None:
            self._ending = asyncio.create_task(self._end())
        await asyncio.shield(self._ending)

    async def _end(self) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            await self.send_meta({"type": "quit"})
            for sig, grace in ((None, QUIT_GRACE_S), (signal.SIGTERM, TERMINATE_GRACE_S), (signal.SIGKILL, None)):
                if sig is not None:
                    self._signal_group(sig)
                try:
                    await asyncio.wait_for(process.wait(), grace)
                    break
                except TimeoutError:
                    continue
        self._signal_group(signal.SIGKILL)  # whatever the app left running in its group goes with it
        if self._task is not None:
            try:  # the output ends with the process, unless something outside the group holds the pipe
                await asyncio.wait_for(self._task, TERMINATE_GRACE_S)
            except TimeoutError:
                pass
            self._task = None
        await self._download_manager.cancel_app_downloads(app_service_id=self.app_service_id)

    def _signal_group(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self._process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

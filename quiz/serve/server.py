"""The web server behind `quiz serve`: the page, its static files, and one app session per websocket.

Safe by default, because textual-serve has no authentication of its own and whoever reaches the socket drives an
app that runs code on this machine:
- a token, when one is set, must come with the page (`/?token=...`) and with the websocket the page opens
  (`/ws/<token>`); the page's script, stylesheet and font are textual-serve's public files and need none. No
  cookie carries it: browsers send cookies to every port of a host, so any other server there would get it;
- without a token the server listens on loopback only, and answers only requests addressed to a loopback name
  (a web page elsewhere cannot reach it through DNS rebinding);
- a websocket opened by a page of another origin is refused (browsers let any page open one);
- at most `max_sessions` apps run at once, counted until each has ended; a session's app ends when its websocket
  closes, an app that crashes ends only its own session, and one whose server dies ends too (session.py).
Every response carries a Content-Security-Policy that lets the browser load nothing from anywhere but this server,
and nothing the request says (its Host header included) is written into the page.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.download_manager import DownloadManager

from quiz.serve.session import AppSession

log = logging.getLogger("quiz.serve")

# textual-serve's own script, stylesheet and font; a download's key is the app's own unguessable delivery key
PUBLIC_PATHS = ("/static/", "/download/")
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
HEARTBEAT_S = 15.0  # a tab that vanished without closing its socket is noticed within this
PAGE = Template((Path(__file__).with_name("page.html")).read_text(encoding="utf-8"))
PAGE_WORDS = {  # a close reason is at most 123 bytes of UTF-8
    "zh": {
        "starting": "正在启动 quiz…",
        "ended": "会话已结束。",
        "restart": "重新开始",
        "full": "{max_sessions} 个会话都在使用中：请先关闭另一个标签页",
        "crashed": "应用意外退出（状态 {status}）",
        "stopping": "服务器正在停止",
    },
    "en": {
        "starting": "Starting quiz…",
        "ended": "Session ended.",
        "restart": "Start again",
        "full": "All {max_sessions} sessions are in use: close another tab first",
        "crashed": "The app stopped unexpectedly (exit status {status})",
        "stopping": "The server is stopping",
    },
}
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def static_dir() -> Path:
    """textual-serve's own static files: the terminal's script, its stylesheet and the Roboto Mono font."""
    import textual_serve

    return Path(textual_serve.__file__).resolve().parent / "static"


@dataclass(frozen=True)
class ServeConfig:
    host: str
    port: int
    app_argv: tuple[str, ...]  # the command each session runs: `quiz` with the server's bank, data dir and language
    token: str | None = None
    max_sessions: int = 4
    lang: str = "en"
    title: str = "quiz"


class QuizServer:
    def __init__(self, config: ServeConfig):
        self.config = config
        self.sessions: set[AppSession] = set()
        self._slots = 0  # sessions starting, running or ending: taken before the first await, so the cap holds
        self.stopping = False
        self.downloads = DownloadManager()

    # --- the aiohttp application ------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.add_routes(
            [
                web.get("/", self.handle_index),
                web.get("/ws", self.handle_websocket),
                web.get("/ws/{token}", self.handle_websocket),
                web.get("/download/{key}", self.handle_download),
                web.static("/static", static_dir()),
            ]
        )
        app.on_response_prepare.append(self._protective_headers)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if self.config.token is None and not addressed_to_loopback(request.host):
            raise web.HTTPForbidden(
                text="quiz serve: this server answers only requests addressed to this machine "
                "(localhost or 127.0.0.1)\n"
            )
        if self.config.token is not None and not request.path.startswith(PUBLIC_PATHS):
            offered = request.match_info.get("token") if request.path.startswith("/ws") else request.query.get("token")
            if not self._token_matches(offered or ""):
                raise web.HTTPUnauthorized(
                    text="quiz serve: this server needs its token: open the address that "
                    "`quiz serve` printed, with ?token=...\n"
                )
        return await handler(request)

    @staticmethod
    async def _protective_headers(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")

    def _token_matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self.config.token.encode())

    # --- the page -----------------------------------------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.Response:
        lang = self.config.lang
        font_size = _int(request.query.get("fontsize"), 16, 8, 40)
        words = {key: html.escape(PAGE_WORDS[lang][key]) for key in ("starting", "ended", "restart")}
        page = PAGE.substitute(lang=lang, title=html.escape(self.config.title), font_size=font_size, **words)
        return web.Response(text=page, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        try:
            meta = await self.downloads.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text=f"quiz serve: no download {key!r}\n") from None
        response = web.StreamResponse()
        response.headers["Content-Type"] = meta.mime_type + (f"; charset={meta.encoding}" if meta.encoding else "")
        # always saved, never shown: a file the app delivers must not run as a page of this origin
        response.headers["Content-Disposition"] = f"attachment; filename={json.dumps(meta.file_name)}"
        await response.prepare(request)
        async for chunk in self.downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    # --- sessions -----------------------------------------------------------------------------------------------
    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() != f"{request.scheme}://{request.host}".lower():
            raise web.HTTPForbidden(text="quiz serve: a page of another site may not open a session\n")
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
        if self.stopping or self._slots >= self.config.max_sessions:  # the page shows the close's reason
            await websocket.prepare(request)
            await websocket.close(
                code=WSCloseCode.TRY_AGAIN_LATER, message=self._words("stopping" if self.stopping else "full").encode()
            )
            return websocket
        self._slots += 1  # before the first await, so that the cap holds however many tabs open at once
        session, app_ended = None, False
        try:
            await websocket.prepare(request)
            session = AppSession(
                self.config.app_argv,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.downloads,
            )
            self.sessions.add(session)
            app_ended = await self._run_session(session, websocket, request)
        finally:
            if session is not None:
                status = await session.exit_status(0.5) if app_ended else None
                await websocket.close(
                    message=self._words("crashed", status=status).encode() if status not in (None, 0) else b""
                )
                await session.end()
                self.sessions.discard(session)
                log.info("session %d ended (app exit status %s)", session.number, session.returncode)
            self._slots -= 1  # only now: an app that is slow to end still counts
        return websocket

    def _words(self, key: str, **values: object) -> str:
        return PAGE_WORDS[self.config.lang][key].format(max_sessions=self.config.max_sessions, **values)

    async def _run_session(self, session: AppSession, websocket: web.WebSocketResponse, request: web.Request) -> bool:
        """Relay until the tab or the app ends; True if the app ended first (it quit or crashed)."""
        width, height = _int(request.query.get("width"), 80), _int(request.query.get("height"), 24)
        await session.start(width, height)
        if self.stopping or session.pid is None:
            return False
        log.info("session %d started (pid %s)", session.number, session.pid)
        relay = asyncio.create_task(self._relay_browser(websocket, session))
        app_done = asyncio.create_task(session.finished())
        try:  # whichever ends first, the tab or the app, ends the other
            await asyncio.wait({relay, app_done}, return_when=asyncio.FIRST_COMPLETED)
            return app_done.done()
        finally:
            for task in (relay, app_done):
                task.cancel()
            await asyncio.gather(relay, app_done, return_exceptions=True)

    @staticmethod
    async def _relay_browser(websocket: web.WebSocketResponse, session: AppSession) -> None:
        """The browser's keys, sizes and focus to the app; a message that is not the protocol's is dropped."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = json.loads(message.data)
            except (ValueError, TypeError, RecursionError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await session.send_bytes(data.encode("utf-8", "replace"))
            elif kind == "resize" and isinstance(data, dict):
                await session.set_terminal_size(_int(data.get("width"), 80), _int(data.get("height"), 24))
            elif kind == "ping" and isinstance(data, (str, int, float)):
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await session.blur()
            elif kind == "focus":
                await session.focus()

    async def end_all(self) -> None:
        """The server is stopping: no session starts any more, and every app is ended."""
        self.stopping = True
        await asyncio.gather(*(session.end() for session in list(self.sessions)), return_exceptions=True)


def addressed_to_loopback(authority: str) -> bool:
    """The Host header names this machine: localhost, 127.0.0.1 or ::1, with a port or none, nothing else."""
    try:
        parts = urlsplit(f"//{authority}")
        parts.port  # noqa: B018 - a port that is not a number raises
    except ValueError:
        return False
    return (parts.hostname or "") in LOOPBACK_NAMES and parts.netloc.lower() == authority.lower()


def _int(value: object, default: int, low: int = 1, high: int = 1000) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return default
    return number if low <= number <= high else default

"""The web server behind `quiz serve`: the page, its static files, and one app session per websocket.

Safe by default, because textual-serve has no authentication of its own and whoever reaches the socket drives an
app that runs code on this machine:
- a token, when one is set, must come with every request: in the address once (`/?token=...`, which sets an
  HttpOnly cookie and redirects to the bare address) and then as that cookie;
- without a token the server listens on loopback only, and answers only requests addressed to a loopback name
  (a web page elsewhere cannot reach it through DNS rebinding);
- a websocket opened by a page of another origin is refused (browsers let any page open one);
- at most `max_sessions` apps run at once; a session's app ends when its websocket closes, and an app that crashes
  ends only its own session.
Every page carries a Content-Security-Policy that lets the browser load nothing from anywhere but this server.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from string import Template
from urllib.parse import urlencode, urlsplit

from aiohttp import WSCloseCode, WSMsgType, web
from textual_serve.download_manager import DownloadManager

from quiz.serve.session import AppSession

log = logging.getLogger("quiz.serve")

TOKEN_COOKIE = "quiz_token"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
HEARTBEAT_S = 15.0  # a tab that vanished without closing its socket is noticed within this
PAGE = Template((Path(__file__).with_name("page.html")).read_text(encoding="utf-8"))
PAGE_WORDS = {  # a close reason is at most 123 bytes of UTF-8
    "zh": {"starting": "正在启动 quiz…", "ended": "会话已结束。", "restart": "重新开始",
           "full": "{max_sessions} 个会话都在使用中：请先关闭另一个标签页", "crashed": "应用意外退出（状态 {status}）"},
    "en": {"starting": "Starting quiz…", "ended": "Session ended.", "restart": "Start again",
           "full": "All {max_sessions} sessions are in use: close another tab first",
           "crashed": "The app stopped unexpectedly (exit status {status})"},
}
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'none'")


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


def is_loopback(host: str) -> bool:
    import ipaddress

    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(authority: str) -> str:
    return (urlsplit(f"//{authority}").hostname or "").lower()


class QuizServer:
    def __init__(self, config: ServeConfig):
        self.config = config
        self.sessions: set[AppSession] = set()
        self._slots = 0  # sessions started or starting: taken before the first await, so the cap holds under races
        self.downloads = DownloadManager()

    # --- the aiohttp application ------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        app.add_routes([
            web.get("/", self.handle_index),
            web.get("/ws", self.handle_websocket),
            web.get("/download/{key}", self.handle_download),
            web.static("/static", static_dir()),
        ])
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler):
        if self.config.token is None and _hostname(request.host) not in LOOPBACK_NAMES:
            raise web.HTTPForbidden(text="quiz serve: this server answers only requests addressed to this machine "
                                         "(localhost or 127.0.0.1)\n")
        if self.config.token is not None:
            offered = request.query.get("token")
            if offered is not None and self._token_matches(offered) and request.path == "/":
                response = web.HTTPSeeOther(location="/" + self._query_without_token(request))
                response.set_cookie(self._cookie_name(request), self.config.token, httponly=True, samesite="Strict",
                                    secure=request.secure)
                raise response
            if not self._token_matches(request.cookies.get(self._cookie_name(request), "")):
                raise web.HTTPUnauthorized(text="quiz serve: this server needs its token: open the address that "
                                                "`quiz serve` printed, with ?token=...\n")
        response = await handler(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    def _token_matches(self, offered: str) -> bool:
        return hmac.compare_digest(offered.encode(), self.config.token.encode())

    @staticmethod
    def _query_without_token(request: web.Request) -> str:
        rest = [(key, value) for key, value in request.query.items() if key != "token"]
        return "?" + urlencode(rest) if rest else ""

    @staticmethod
    def _cookie_name(request: web.Request) -> str:
        """Cookies do not tell ports apart: each server on this host keeps its token under a name of its own."""
        return f"{TOKEN_COOKIE}_{request.url.port}"

    # --- the page -----------------------------------------------------------------------------------------------
    async def handle_index(self, request: web.Request) -> web.Response:
        lang = self.config.lang
        scheme = "wss" if request.secure else "ws"
        try:
            font_size = max(8, min(40, int(request.query.get("fontsize", "16"))))
        except ValueError:
            font_size = 16
        words = {key: PAGE_WORDS[lang][key] for key in ("starting", "ended", "restart")}
        html = PAGE.substitute(lang=lang, title=self.config.title, websocket_url=f"{scheme}://{request.host}/ws",
                               font_size=font_size, **words)
        return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


    async def handle_download(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info["key"]
        try:
            meta = await self.downloads.get_download_metadata(key)
        except KeyError:
            raise web.HTTPNotFound(text=f"quiz serve: no download {key!r}\n") from None
        response = web.StreamResponse()
        response.headers["Content-Type"] = meta.mime_type + (f"; charset={meta.encoding}" if meta.encoding else "")
        disposition = "inline" if meta.open_method == "browser" else "attachment"
        response.headers["Content-Disposition"] = f"{disposition}; filename={json.dumps(meta.file_name)}"
        await response.prepare(request)
        async for chunk in self.downloads.download(key):
            await response.write(chunk)
        await response.write_eof()
        return response

    # --- sessions -----------------------------------------------------------------------------------------------
    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() != request.host.lower():
            raise web.HTTPForbidden(text="quiz serve: a page of another site may not open a session\n")
        websocket = web.WebSocketResponse(heartbeat=HEARTBEAT_S)
        if self._slots >= self.config.max_sessions:  # the page says why its session ended: the close's reason
            await websocket.prepare(request)
            await websocket.close(code=WSCloseCode.TRY_AGAIN_LATER, message=self._words("full").encode())
            return websocket
        self._slots += 1  # before the first await, so that the cap holds however many tabs open at once
        session, app_ended = None, False
        try:
            await websocket.prepare(request)
            session = AppSession(self.config.app_argv, write_bytes=websocket.send_bytes,
                                 write_str=websocket.send_str, close=websocket.close,
                                 download_manager=self.downloads)
            self.sessions.add(session)
            app_ended = await self._run_session(session, websocket, request)
        finally:
            self._slots -= 1  # the tab is gone: its place is free while its app finishes ending
            if session is not None:
                status = await session.exit_status(0.5) if app_ended else None
                await websocket.close(message=self._words("crashed", status=status).encode()
                                      if status not in (None, 0) else b"")
                await session.end()
                self.sessions.discard(session)
                log.info("session %d ended (app exit status %s)", session.number, session.returncode)
        return websocket

    def _words(self, key: str, **values: object) -> str:
        return PAGE_WORDS[self.config.lang][key].format(max_sessions=self.config.max_sessions, **values)

    async def _run_session(self, session: AppSession, websocket: web.WebSocketResponse,
                           request: web.Request) -> bool:
        """Relay until the tab or the app ends; True if the app ended first (it quit or crashed)."""
        width, height = _int(request.query.get("width"), 80), _int(request.query.get("height"), 24)
        await session.start(width, height)
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
            except (ValueError, TypeError):
                continue
            if kind == "stdin" and isinstance(data, str):
                await session.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await session.set_terminal_size(_int(data.get("width"), 80), _int(data.get("height"), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await session.blur()
            elif kind == "focus":
                await session.focus()

    async def end_all(self) -> None:
        await asyncio.gather(*(session.end() for session in list(self.sessions)), return_exceptions=True)


def _int(value: object, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if 1 <= number <= 1000 else default

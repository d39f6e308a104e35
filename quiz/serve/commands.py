"""`quiz serve`: parse the options, refuse unsafe ones, print the address, serve until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from pathlib import Path

from quiz.errors import CommandFailed, ExitCode, UsageError

DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 4
MAX_SESSIONS_LIMIT = 64
TOKEN = re.compile(r"[A-Za-z0-9._~-]{8,}")  # it travels in the page's address and in the websocket's path


class CannotListen(Exception):
    """The address is taken, not this machine's, or not allowed: why, in a few words."""


def register(sub, parent: argparse.ArgumentParser) -> None:
    serve = sub.add_parser(
        "serve",
        parents=[parent],
        help="serve the app to a web browser",
        description="Serve the app at a local address: each browser tab runs its own app, all sharing one progress "
        "store. Listens on 127.0.0.1 unless --host says otherwise; another address needs a token "
        "(--token, or one is generated and printed). Exercises run on this machine.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free port, printed)"
    )
    serve.add_argument(
        "--token",
        metavar="TOKEN",
        help="a secret every browser must present (required off loopback; generated if not given)",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=DEFAULT_MAX_SESSIONS,
        metavar="N",
        help=f"apps running at once, 1-{MAX_SESSIONS_LIMIT} (default {DEFAULT_MAX_SESSIONS})",
    )
    serve.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    import asyncio  # these three here, not at the top: every `quiz` command builds this room's parser
    import logging
    import secrets

    from quiz import paths
    from quiz.serve.server import ServeConfig

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0-65535, not {args.port}")
    if not 1 <= args.max_sessions <= MAX_SESSIONS_LIMIT:
        raise UsageError(f"--max-sessions must be 1-{MAX_SESSIONS_LIMIT}, not {args.max_sessions}")
    if args.token is not None and not TOKEN.fullmatch(args.token):
        raise UsageError("--token must be at least 8 characters, each a letter, a digit or one of - _ . ~")
    bank = paths.bank_dir(args.bank).resolve()
    if not bank.exists():
        raise UsageError(f"no such bank: {bank}")
    token = args.token
    if token is None and not is_loopback(args.host):
        token = secrets.token_urlsafe(18)
    app_argv = [sys.executable, "-m", "quiz", "--bank", str(bank), "--lang", args.lang]
    if args.data_dir:
        app_argv += ["--data-dir", str(Path(args.data_dir).resolve())]
    config = ServeConfig(
        host=args.host,
        port=args.port,
        app_argv=tuple(app_argv),
        token=token,
        max_sessions=args.max_sessions,
        lang=args.lang,
    )
    logging.basicConfig(level=logging.INFO, format="quiz serve: %(message)s", stream=sys.stderr)
    try:
        asyncio.run(serve(config))
    except CannotListen as exc:
        raise CommandFailed(f"quiz: cannot listen on {args.host}:{args.port}: {exc}") from None
    return ExitCode.OK


def is_loopback(host: str) -> bool:
    """An address only this machine reaches: localhost, 127.0.0.0/8, ::1."""
    import ipaddress

    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve(config) -> None:
    import asyncio

    from aiohttp import web

    from quiz.serve.server import QuizServer

    server = QuizServer(config)
    runner = web.AppRunner(server.make_app(), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, config.port)
        try:
            await site.start()
        except OSError as exc:
            raise CannotListen(os.strerror(exc.errno) if exc.errno else str(exc)) from None
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        address = f"http://{shown}:{port}/" + (f"?token={config.token}" if config.token else "")
        print(f"quiz serve: open {address} (at most {config.max_sessions} sessions; Ctrl+C stops)", flush=True)
        if config.token:
            print("quiz serve: the token is required: share the address only with whom you trust", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        print("quiz serve: stopping: ending every session", flush=True)
        await site.stop()  # no new connection from here on
        await server.end_all()
    finally:
        await runner.cleanup()

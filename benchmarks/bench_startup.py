"""Time from starting `quiz` to its first screen, against a bare Textual app (Header, Static, Footer) measured
the same way in the same run: each is started in tmux and its pane polled until its first screen's text shows.
Target (issue): at most 1.5x the bare app. Also checks that the app's process never imports TensorFlow.

    python benchmarks/bench_startup.py [--runs 7] [--bank DIR]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
QUIZ = Path(PYTHON).with_name("quiz")
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    def compose(self):
        yield Header()
        yield Static("bare app ready")
        yield Footer()

Bare().run()
"""


def time_to_text(command: list[str], needle: str, env: dict, timeout: float = 30.0) -> float:
    """Start `command` in a fresh tmux server and return the seconds until `needle` is on its screen."""
    socket = f"quiz-bench-{os.getpid()}-{time.monotonic_ns()}"
    tmux = ["tmux", "-L", socket]
    shell = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + shlex.join(command)
    try:
        started = time.perf_counter()
        subprocess.run([*tmux, "new-session", "-d", "-s", "b", "-x", "100", "-y", "30", shell], check=True)
        while time.perf_counter() - started < timeout:
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout
            if needle in screen:
                return time.perf_counter() - started
            time.sleep(0.005)
        raise SystemExit(f"{needle!r} did not appear within {timeout} s; screen:\n{screen}")
    finally:
        path = subprocess.run(
            [*tmux, "display-message", "-p", "#{socket_path}"], capture_output=True, text=True
        ).stdout.strip()
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        if path:
            Path(path).unlink(missing_ok=True)


def pick_bank(explicit: str | None) -> tuple[Path, str]:
    """The packaged bank when it is valid, else the app tests' bank (said in the output)."""
    sys.path.insert(0, str(ROOT))
    from quiz import paths
    from quiz.bank import BankError, load_bank

    for candidate in [Path(explicit)] if explicit else [paths.packaged_bank_dir(), ROOT / "tests/tui/bank"]:
        try:
            bank = load_bank(candidate, set(paths.exercise_names()))
        except BankError:
            continue
        return candidate, bank.decks[0].title("en")
    raise SystemExit("no valid bank to start the app on")


def import_costs() -> tuple[list[str], dict[str, float]]:
    """What the app's start-up path imports (-X importtime): any tensorflow/keras module, and the cumulative
    seconds of the biggest pieces, so a slow start can be traced to its room."""
    code = (
        "import quiz.cli; quiz.cli.build_parser(); import quiz.tui.launch, quiz.tui.app, quiz.tui.screens.home_screen"
    )
    out = subprocess.run([PYTHON, "-X", "importtime", "-c", code], capture_output=True, text=True, cwd=ROOT)
    cumulative: dict[str, float] = {}
    for line in out.stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            _, cum, name = line.split("|")
            cumulative.setdefault(name.strip(), int(cum) / 1e6)
    heavy = sorted(n for n in cumulative if re.match(r"(tensorflow|keras)(\.|$)", n))
    wanted = ("textual.app", "quiz.cli", "quiz.bank", "jsonschema", "yaml", "quiz.tui.app")
    return heavy, {name: cumulative[name] for name in wanted if name in cumulative}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bank", help="bank to start on (default: the packaged one, if valid)")
    args = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed: cannot measure", file=sys.stderr)
        return 2
    bank, first_deck = pick_bank(args.bank)
    env = {"LANG": "en_US.UTF-8", "TERM": "xterm-256color", "PATH": os.environ.get("PATH", "")}
    quiz_cmd = [str(QUIZ)] if QUIZ.exists() else [PYTHON, "-m", "quiz"]
    with tempfile.TemporaryDirectory() as tmp:
        bare_file = Path(tmp) / "bare_app.py"
        bare_file.write_text(BARE_APP)
        quiz = [*quiz_cmd, "--bank", str(bank), "--data-dir", str(Path(tmp) / "data"), "--lang", "en"]
        bare = [PYTHON, str(bare_file)]
        time_to_text(bare, "bare app ready", env)  # warm the file cache for both
        time_to_text(quiz, first_deck, env)
        quiz_times, bare_times, progress_times = [], [], []
        for _ in range(args.runs):  # interleaved, so load on the machine hits both alike
            bare_times.append(time_to_text(bare, "bare app ready", env))
            quiz_times.append(time_to_text(quiz, first_deck, env))
            progress_times.append(time_to_text(quiz, " due · ", env))
    heavy, costs = import_costs()
    q, b, p = (statistics.median(x) for x in (quiz_times, bare_times, progress_times))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"bank: {bank}  (first screen = home showing deck {first_deck!r})")
    print(f"runs: {args.runs} each, interleaved; median (min-max) seconds from start to first screen in tmux")
    print(f"  bare Textual app (Header, Static, Footer): {b:.3f}  ({min(bare_times):.3f}-{max(bare_times):.3f})")
    print(f"  quiz home screen:                         {q:.3f}  ({min(quiz_times):.3f}-{max(quiz_times):.3f})")
    print(f"  quiz home with due counts loaded:         {p:.3f}  ({min(progress_times):.3f}-{max(progress_times):.3f})")
    print(f"ratio quiz / bare: {q / b:.2f}x  (target <= 1.5x: {'met' if q / b <= 1.5 else 'NOT met'})")
    print(
        "import cost on the start-up path (cumulative s, -X importtime): "
        + ", ".join(f"{name} {seconds:.3f}" for name, seconds in costs.items())
    )
    print(f"tensorflow/keras modules imported by the app's process: {heavy or 'none'}")
    return 0 if not heavy else 1


if __name__ == "__main__":
    sys.exit(main())

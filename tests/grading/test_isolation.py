"""What the sandbox gives a submission, mode by mode: the isolation recorded in the result, loopback inside a
network namespace, a scrubbed environment, no process left behind, and the fallbacks without namespaces."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from quiz.grading.cleanup import sweep_stale_sandboxes
from quiz.grading.isolation import MODE_ENV, available_mode
from quiz.grading.runner import grade_submission
from quiz.grading.sandbox import UID_BASE

from .helpers import BENIGN, HOSTILE, MEMORY_MB, TIMEOUT, TOY, alive, descendants, needs_namespaces, processes_of

PROBE = """\
import json, os, socket
SEEN = {"env": sorted(os.environ), "home_is_cwd": os.environ["HOME"] == os.getcwd(), "uid": os.getuid(),
        "pid": os.getpid(), "files": sorted(os.listdir(".")),
        "no_new_privs": "NoNewPrivs:\t1" in open("/proc/self/status").read()}


def add(a, b):
    print(json.dumps(SEEN))
    return a + b


def train(values, epochs=1):
    return sum(values) / len(values)
"""


@pytest.fixture
def probe(tmp_path):
    path = tmp_path / "probe.py"
    path.write_text(PROBE)
    return path


def seen_by(result) -> dict:
    return json.loads(result.tests[0].output)


@needs_namespaces
def test_full_sandbox_as_root_is_recorded(reference):
    result = grade_submission(TOY, reference, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    isolation = result.isolation
    assert isolation["mode"] == "namespaces"
    assert isolation["network"] == "network namespace, loopback only"
    assert isolation["uid"] >= UID_BASE
    assert isolation["rlimits"]["nproc"] > 0 and isolation["rlimits"]["core"] == 0
    assert isolation["rlimits"]["data"] == MEMORY_MB * 2**20
    assert isolation["problems"] == []


def test_environment_is_scrubbed_and_home_is_the_sandbox(probe, monkeypatch):
    monkeypatch.setenv("QUIZ_SECRET_TOKEN", "hunter2")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "hunter3")
    result = grade_submission(TOY, probe, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.status == "pass", result.message
    seen = seen_by(result)
    assert "QUIZ_SECRET_TOKEN" not in seen["env"] and "AWS_SECRET_ACCESS_KEY" not in seen["env"]
    assert set(seen["env"]) <= {
        "PATH",
        "HOME",
        "TMPDIR",
        "LANG",
        "LC_ALL",
        "USER",
        "LOGNAME",
        "TZ",
        "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONHASHSEED",
        "PYTHONFAULTHANDLER",
        "TF_CPP_MIN_LOG_LEVEL",
        "MPLBACKEND",
        "CUDA_VISIBLE_DEVICES",
        "LD_LIBRARY_PATH",
        "PYTEST_CURRENT_TEST",
        "PYTEST_VERSION",
    }
    assert seen["home_is_cwd"] and seen["files"] == ["submission.py", "tmp"]


@needs_namespaces
def test_submission_runs_as_its_own_uid_in_its_own_pid_namespace(probe):
    result = grade_submission(TOY, probe, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    seen = seen_by(result)
    assert seen["uid"] == result.isolation["uid"] != os.getuid()
    assert seen["pid"] < 100  # numbered inside its own namespace
    assert seen["no_new_privs"]  # setuid programs cannot give it root back


@needs_namespaces
def test_processes_can_talk_over_loopback_inside_the_sandbox():
    result = grade_submission(TOY, BENIGN / "loopback_server.py", timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.status == "pass", result.message


@needs_namespaces
def test_a_setsid_daemon_is_killed_and_not_waited_for():
    started = time.monotonic()
    result = grade_submission(TOY, BENIGN / "lingering_daemon.py", timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.status == "pass", result.message
    assert time.monotonic() - started < TIMEOUT
    assert processes_of(result.isolation["uid"]) == []


def test_session_fallback_still_grades_and_refuses_sockets(monkeypatch, reference):
    monkeypatch.setenv(MODE_ENV, "session")
    result = grade_submission(TOY, reference, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.status == "pass", result.message
    assert result.isolation["mode"] == "session"
    assert result.isolation["network"] == "sockets refused in-process"
    network = grade_submission(TOY, HOSTILE / "network.py", timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert network.status == "fail"
    assert network.tests[2].message.startswith("PermissionError: network access is disabled while grading")


@pytest.mark.skipif(available_mode() == "session", reason="unshare is not available here")
def test_user_namespace_mode_grades_and_keeps_loopback(monkeypatch, reference):
    monkeypatch.setenv(MODE_ENV, "user-namespaces")
    result = grade_submission(TOY, BENIGN / "loopback_server.py", timeout=TIMEOUT, memory_mb=MEMORY_MB)
    assert result.isolation["mode"] == "user-namespaces"
    assert result.status == "pass", result.message
    assert result.isolation["uid"] is None


@needs_namespaces
def test_the_sandbox_dies_with_the_grader_and_its_folder_is_swept_later():
    """A grader killed mid-run (SIGKILL: no cleanup code runs) must not leave the submission running; the
    folder it leaves is removed by the next grader once it is a minute old."""
    code = (
        "import sys; from pathlib import Path; from quiz.grading.runner import grade_submission; "
        "grade_submission(Path(sys.argv[1]), Path(sys.argv[2]), timeout=120, memory_mb=512)"
    )
    grader = subprocess.Popen([sys.executable, "-c", code, str(TOY), str(HOSTILE / "loop_in_train.py")])
    try:
        deadline = time.monotonic() + 30
        below: list[int] = []
        while time.monotonic() < deadline and not any("quiz.grading.untrusted" in _cmdline(p) for p in below):
            time.sleep(0.2)
            below = descendants(grader.pid)
        commands = " ".join(_cmdline(p) for p in below)
        assert "quiz.grading.untrusted" in commands, "the sandbox never started"
        folder = Path(re.search(r"(/\S*?/quiz-grade-[^/\s]+)/", commands).group(1))
        time.sleep(1.0)  # let it reach the endless loop
        grader.send_signal(signal.SIGKILL)
        grader.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(p) for p in below):
            time.sleep(0.2)
        assert [p for p in below if alive(p)] == []
    finally:
        grader.kill()
        grader.wait()
    assert folder.is_dir()
    os.utime(folder, (time.time() - 120, time.time() - 120))
    sweep_stale_sandboxes.__wrapped__()
    assert not folder.exists()


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def test_a_grader_whose_venv_lives_under_tmp_grades_as_any_other(tmp_path):
    """CI installs into /tmp/quiz-ci-venv, many people into /home: the sandbox's fresh /tmp and /home must not
    hide the interpreter. A venv in pytest's tmp_path (under /tmp) that reaches this one's packages by a .pth."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site_folders = [p for p in sys.path if Path(p).name in ("site-packages", "dist-packages")]
    (next(venv.glob("lib/python*/site-packages")) / "parent.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in site_folders) + "\n"
    )
    done = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "quiz",
            "grade",
            str(TOY),
            str(TOY / "reference.py"),
            str(TOY / "starter.py"),
            "--jobs",
            "2",
            "--timeout",
            str(TIMEOUT),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    progress = sorted(line.split("] ", 1)[1] for line in done.stderr.splitlines() if line.startswith("["))
    assert progress == ["reference.py: pass 7/7", "starter.py: fail 0/7"], done.stdout + done.stderr  # any order

"""How every graded suite's pytest is started: the same interpreter flags, plugins off but ours, and our ini.

Used for the suite's own (trusted) process (runner.py) and for the advisory run inside the sandbox (advisory.py).
no:unraisableexception: that plugin ends every run with five full garbage collections (~0.15 s) to turn exceptions
ignored in __del__ into warnings, and these runs show no warnings (no:warnings). Autoload is off in both
(PYTEST_DISABLE_PLUGIN_AUTOLOAD), so pytest-subtests is named here.
"""

from __future__ import annotations

import sys
from pathlib import Path

PYTEST_INI = """\
# Written by the quiz grader: the only ini this run reads.
[pytest]
addopts =
markers =
    weight(n): points for a test when graded
    gpu: needs a GPU
    slow: runs TensorFlow in a subprocess
    task(taskno): the exercise task a test belongs to
    verdict(kind): recomputed or reported
"""


def pytest_command(ini: Path, rootdir: Path, plugins: list[str], options: list[str], targets: list[str]) -> list[str]:
    """`python -I -B -m pytest` with our ini, `rootdir` as root and conftest boundary, and `plugins` loaded."""
    loaded = [arg for plugin in ("pytest_subtests.plugin", *plugins) for arg in ("-p", plugin)]
    return [
        sys.executable,
        "-I",
        "-B",
        "-m",
        "pytest",
        "-c",
        str(ini),
        "--rootdir",
        str(rootdir),
        "--confcutdir",
        str(rootdir),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:unraisableexception",
        "-p",
        "no:warnings",
        *loaded,
        *options,
        "-q",
        "--no-header",
        "--show-capture=no",
        "--tb=short",
        *targets,
    ]

"""How a process holding TensorFlow ends once its results are written (the exercise worker, the grader's
untrusted process)."""

from __future__ import annotations

import atexit
import os
import sys


def leave(code: int) -> None:
    """Exit with `code`: the exit handlers (the submission's and TensorFlow's) run as in a normal exit, so a crash
    on the way out still shows, but the interpreter's own teardown of a heap holding TensorFlow and its collectives
    is skipped (~1.2-2 s of CPU per process measured here, with nothing left to read its results)."""
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)

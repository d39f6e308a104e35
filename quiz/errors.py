"""How a command fails, raised where the failure is found and printed once, by `quiz.cli.main`.

Nothing here prints: a room raises `UsageError` (bad arguments, a missing file: exit 2) or `CommandFailed`
(the command could not do its work: its lines on stderr, exit 1) and returns an `ExitCode` otherwise.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    INVALID = 1  # the input was read but is not valid (a bank, a store, a submission's results)
    USAGE = 2  # bad arguments or a missing file
    INCOMPLETE = 3  # quiz grade --cluster: the scheduler was lost or no worker could grade; what was graded is kept
    INTERNAL = 70  # a bug of ours (EX_SOFTWARE)
    TIMED_OUT = 124  # quiz exercise run: the workers ran out of time (as timeout(1) exits)
    INTERRUPTED = 130  # Ctrl+C


class UsageError(Exception):
    """Bad arguments or a missing file: `quiz: <message>` on stderr, exit 2."""


class CommandFailed(Exception):
    """The command could not do its work: each line on stderr as given, then exit `code`."""

    def __init__(self, *lines: str, code: ExitCode = ExitCode.INVALID) -> None:
        if not lines or not all(isinstance(line, str) for line in lines):
            raise TypeError("CommandFailed takes one or more lines of text")
        super().__init__("\n".join(lines))
        self.lines = lines
        self.code = code

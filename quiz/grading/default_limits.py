"""The grader's default limits per submission, in one place: the CLI's options and help, the runner, the sandbox.

A module of its own, with no imports, so the CLI can show them without loading the grader."""

TIMEOUT_S = 120.0  # wall clock for one submission's whole test run
MEMORY_MB = 2048  # all of one submission's processes together
DISK_MB = 512  # the sandbox's own filesystem (box, /tmp, /var/tmp, /run, /home, /dev/shm), in memory, bounded

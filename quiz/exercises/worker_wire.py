"""What the multi-worker launcher and its worker processes agree on: how a worker says it failed, and where it
finds the launcher it must outlive no longer. Its own module, so the launcher never imports the worker (which
imports TensorFlow)."""

FAILED_MARK = "worker failed:"  # the last line of a worker that failed, before it exits 1
LAUNCHER_PID_ENV = "QUIZ_LAUNCHER_PID"  # a worker ends when the launcher with this pid is gone

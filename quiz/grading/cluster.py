"""`quiz grade --cluster ADDRESS`: the same grading, spread over the workers of a Dask cluster.

Each task grades one submission on a worker's machine with `grade_submission`, the same sandbox and limits as a
local run, and returns the plain result (`SubmissionResult.to_dict()`). The submission travels as its file's
contents; the exercise travels by name and fingerprint (a hash of its folder's files, and one of the grader's own
code), so a worker whose project differs refuses instead of grading with other tests or another grader. A worker
that cannot sandbox with namespaces refuses too, unless the grader allows weaker isolation.

Dask's scheduler gives each task to one worker; when a worker dies mid-task, the task goes to another worker
(a grading run holds no state outside its worker, and a killed worker's sandboxes end with it through the grader's
lifelines). Every submission gets exactly one result: the one its task returned.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import quiz
from quiz import paths
from quiz.grading.results import SubmissionResult, clean_text

VETTING_TIMEOUT_S = 60.0  # a worker's first check imports the grader and probes its sandbox
POLL_S = 1.0
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".git"}


class ClusterError(Exception):
    """The cluster cannot grade (unreachable, no worker fit to grade, the scheduler lost): one line, and the results
    that had arrived by then, in submission order (None for those that had not)."""

    def __init__(self, line: str, results: list[SubmissionResult | None] | None = None):
        super().__init__(line)
        self.results = results or []


@dataclass(frozen=True)
class Identity:
    """What a worker must have to grade like the machine that asked: the exercise and the grader, both hashed."""

    exercise: str  # its name
    path: str  # its folder on the grader's machine: a worker with the same folder uses it, else its own by name
    exercise_hash: str
    quiz_version: str
    grader_hash: str


@dataclass(frozen=True)
class Task:
    identity: Identity
    submission: str  # the path as the grader named it: the result carries it, as a local run's does
    source: bytes
    timeout: float
    memory_mb: int
    disk_mb: int
    allow_weak_isolation: bool


def folder_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and not SKIPPED_PARTS & set(p.parts) and p.suffix != ".pyc"
    ):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def grader_hash() -> str:
    """The quiz package's code: two machines grade alike when this and the exercise's hash agree."""
    return folder_hash(Path(quiz.__file__).resolve().parent / "grading")


def identity_of(exercise_dir: Path) -> Identity:
    exercise_dir = Path(exercise_dir).resolve()
    return Identity(
        exercise=exercise_dir.name,
        path=str(exercise_dir),
        exercise_hash=folder_hash(exercise_dir),
        quiz_version=quiz.__version__,
        grader_hash=grader_hash(),
    )


# --- on the worker ------------------------------------------------------------------------------------------------
def local_exercise(identity: Identity) -> tuple[Path | None, str]:
    """This machine's copy of the exercise, or None and why it cannot grade it."""
    if identity.quiz_version != quiz.__version__ or identity.grader_hash != grader_hash():
        return None, (
            f"its grader differs (quiz {quiz.__version__}, code {grader_hash()[:12]} here; "
            f"quiz {identity.quiz_version}, code {identity.grader_hash[:12]} on the grading machine): "
            f"install the same version of quiz on every worker"
        )
    for folder in (Path(identity.path), paths.exercises_dir() / identity.exercise):
        if folder.is_dir() and folder_hash(folder) == identity.exercise_hash:
            return folder, ""
    return None, (
        f"it has no exercise '{identity.exercise}' with the same files (looked in {identity.path} and "
        f"{paths.exercises_dir()})"
    )


def fit_to_grade(identity: Identity, allow_weak_isolation: bool) -> tuple[Path | None, str]:
    """This machine's copy of the exercise if it grades alike, else None and why it will not grade."""
    folder, why = local_exercise(identity)
    if folder is None:
        return None, why
    from quiz.grading.isolation import isolation_mode

    if isolation_mode() == "session" and not allow_weak_isolation:
        return None, (
            "it cannot sandbox with namespaces (isolation here: a session and rlimits only); pass "
            "--allow-weak-isolation to grade there anyway"
        )
    return folder, ""


def refusal(identity: Identity, allow_weak_isolation: bool) -> str:
    """Why this worker will not grade for `identity` ('' when it will): what the grader asks each worker first."""
    return fit_to_grade(identity, allow_weak_isolation)[1]


class Refused(Exception):
    """A worker asked to grade what it cannot grade alike (checked again in the task, not only at the start)."""


def grade_task(task: Task) -> dict:
    """Runs on a worker: the submission written to a folder of its own, graded, its result as plain data."""
    from quiz.grading.runner import grade_submission

    folder, why = fit_to_grade(task.identity, task.allow_weak_isolation)
    if folder is None:
        raise Refused(why)
    with tempfile.TemporaryDirectory(prefix="quiz-cluster-") as scratch:
        copy = Path(scratch) / Path(task.submission).name
        copy.write_bytes(task.source)
        result = grade_submission(folder, copy, timeout=task.timeout, memory_mb=task.memory_mb, disk_mb=task.disk_mb)
    result.submission = task.submission
    return result.to_dict()


# --- on the grader's machine ----------------------------------------------------------------------------------------
def connect(address: str):
    """A client of the scheduler at `address`, within Dask's own connect timeout (its config, 30 s by default)."""
    import dask
    from distributed import Client

    silence_dask_logs()
    try:
        client = Client(address, timeout=dask.config.get("distributed.comm.timeouts.connect"), set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the cluster's scheduler at {address}: {exc}") from None
    client.loop.asyncio_loop.set_exception_handler(ignore_loop_errors)
    return client


def ignore_loop_errors(loop, context: dict) -> None:
    """The client's event loop, on an error nothing awaited (a heartbeat that timed out under load, a future
    dropped at close): asyncio would print it as a traceback on stderr. A batch learns what it must from its own
    futures (a lost scheduler cancels them), so these say nothing the grader needs."""


def silence_dask_logs() -> None:
    """Our lines, not its tracebacks: Dask's config gives its loggers their own levels and a handler."""
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logger = logging.getLogger(name)
            logger.setLevel(logging.CRITICAL + 1)
            logger.handlers.clear()
            logger.propagate = False


def vet_workers(client, identity: Identity, allow_weak_isolation: bool, say: Callable[[str], None]) -> list[str]:
    """The workers fit to grade; each refusing one is named once, with its reason."""
    try:
        answers = client.run(refusal, identity, allow_weak_isolation, on_error="return")
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"the cluster's scheduler stopped answering: {exc}") from None
    fit = []
    for worker, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            say(f"worker {worker} refuses: it could not check itself ({type(answer).__name__}: {answer})")
        elif answer:
            say(f"worker {worker} refuses: {answer}")
        else:
            fit.append(worker)
    return fit


def grade_on_cluster(
    address: str,
    exercise_dir: Path,
    submissions: Sequence[Path],
    *,
    timeout: float,
    memory_mb: int,
    disk_mb: int,
    allow_weak_isolation: bool = False,
    on_done: Callable[[SubmissionResult], None] | None = None,
    say: Callable[[str], None] = print,
) -> list[SubmissionResult]:
    """Every submission graded on the cluster at `address`, results in submission order."""
    from distributed import as_completed

    identity = identity_of(exercise_dir)
    client = connect(address)
    try:
        fit = wait_for_fit_workers(client, identity, allow_weak_isolation, say)
        tasks = [
            Task(identity, str(path), Path(path).read_bytes(), timeout, memory_mb, disk_mb, allow_weak_isolation)
            for path in submissions
        ]
        futures = {
            client.submit(
                grade_task,
                task,
                key=f"quiz-grade-{i}-{time.time_ns()}",
                pure=False,
                workers=fit,
                allow_other_workers=False,
            ): i
            for i, task in enumerate(tasks)
        }
        results: list[SubmissionResult | None] = [None] * len(tasks)
        try:
            for future in as_completed(list(futures), loop=client.loop):
                if future.status == "cancelled":  # we cancel none: the client lost the scheduler, and its tasks
                    raise OSError("the connection was lost")
                i = futures[future]
                results[i] = result_of(future, tasks[i], exercise_dir)
                if on_done is not None:
                    on_done(results[i])
        except (OSError, TimeoutError) as exc:
            graded = sum(r is not None for r in results)
            raise ClusterError(
                f"lost the cluster's scheduler at {address} ({exc}); {graded} of {len(tasks)} submissions were graded",
                results,
            ) from None
        return results
    finally:
        client.close(timeout=5)


def wait_for_fit_workers(
    client, identity: Identity, allow_weak_isolation: bool, say: Callable[[str], None]
) -> list[str]:
    deadline = time.monotonic() + VETTING_TIMEOUT_S
    while not client.scheduler_info()["workers"]:
        if time.monotonic() > deadline:
            raise ClusterError("the cluster has no workers: start some with `dask worker ADDRESS`")
        time.sleep(POLL_S)
    fit = vet_workers(client, identity, allow_weak_isolation, say)
    if not fit:
        raise ClusterError("no worker of the cluster can grade this exercise (each one's reason is above)")
    return fit


def result_of(future, task: Task, exercise_dir: Path) -> SubmissionResult:
    """The task's result; a task the cluster could not run (its workers kept dying, a worker refused) is an
    error result of its own, as a local grader's failure is."""
    from distributed import KilledWorker

    try:
        return SubmissionResult.from_dict(future.result())
    except KilledWorker:
        why = "the workers that took it died, each time (the cluster's allowed failures were used up)"
    except Refused as exc:
        why = f"the worker that took it refused: {exc}"
    except Exception as exc:  # noqa: BLE001 - one submission's trouble is its own result, never the batch's
        why = f"{type(exc).__name__}: {clean_text(str(exc))[:300]}"
    return SubmissionResult(
        submission=task.submission,
        exercise=Path(exercise_dir).name,
        status="error",
        message=f"the grader could not grade this submission: {why}",
    )

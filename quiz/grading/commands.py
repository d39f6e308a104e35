"""`quiz grade EXERCISE SUBMISSION...`: run an exercise's tests on submissions in a sandbox."""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
from pathlib import Path

from quiz import paths
from quiz.errors import ExitCode, UsageError
from quiz.grading import default_limits
from quiz.grading.layouts import NotAnExercise, read_exercise

FORMATS = ("text", "json", "junit", "gradescope", "exercism")
CLUSTER_ADDRESS = re.compile(r"^(?:(?:tcp|tls)://)?(?:\[[0-9a-fA-F:.]+\]|[\w.-]+):\d{1,5}$")
SKIPPED_FILES = {"conftest.py", "__init__.py", "setup.py"}


def register(sub, parent: argparse.ArgumentParser) -> None:
    grade = sub.add_parser(
        "grade",
        parents=[parent],
        help="grade submissions of an exercise in a sandbox",
        description="Run an exercise's tests on each submission in its own sandbox (no network, limited time, "
        "memory, output and processes). Exit 0 when every submission passes, 1 when any fails or "
        "errors, 2 on usage errors.",
    )
    grade.add_argument("exercise", metavar="EXERCISE", help="an exercise name (see exercises/) or its folder")
    grade.add_argument(
        "submissions",
        metavar="SUBMISSION",
        nargs="+",
        help="a .py file, or a folder whose .py files are graded one by one",
    )
    grade.add_argument("--format", choices=FORMATS, default="text", help="result format (default: text)")
    grade.add_argument(
        "--output",
        metavar="PATH",
        help="write the result there instead of standard output (gradescope/exercism with several "
        "submissions: a folder, one <name>/results.json each)",
    )
    grade.add_argument("--csv", metavar="PATH", help="also write a one-line-per-submission CSV summary")
    grade.add_argument(
        "--jobs",
        type=int,
        metavar="N",
        help="submissions graded in parallel on this machine (default 1; not with --cluster)",
    )
    grade.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="grade on the workers of a Dask cluster (tcp://HOST:PORT of its scheduler), each "
        "submission in the same sandbox as here; each worker's --nworkers/--nthreads set how "
        "many it grades at once",
    )
    grade.add_argument(
        "--allow-weak-isolation",
        action="store_true",
        help="with --cluster: let workers that cannot sandbox with namespaces grade too",
    )
    grade.add_argument(
        "--timeout",
        type=float,
        default=default_limits.TIMEOUT_S,
        metavar="SECONDS",
        help=f"wall-clock limit per submission (default {default_limits.TIMEOUT_S:g})",
    )
    grade.add_argument(
        "--memory",
        type=int,
        default=default_limits.MEMORY_MB,
        metavar="MB",
        help=f"memory limit per submission, all its processes together (default {default_limits.MEMORY_MB})",
    )
    grade.add_argument(
        "--disk",
        type=int,
        default=default_limits.DISK_MB,
        metavar="MB",
        help=f"size of each submission's own filesystem: its folder, /tmp, /dev/shm and the like "
        f"(default {default_limits.DISK_MB})",
    )
    grade.set_defaults(run=run_grade)

    bundle = sub.add_parser(
        "gradescope",
        parents=[parent],
        help="build a Gradescope autograder zip for an exercise",
        description="Write the zip Gradescope's autograder takes: setup.sh installs this project, run_autograder "
        "grades /autograder/submission/ into /autograder/results/results.json with `quiz grade`.",
    )
    bundle.add_argument("exercise", metavar="EXERCISE", help="an exercise name (see exercises/) or its folder")
    bundle.add_argument("--output", metavar="ZIP", default="autograder.zip", help="where (default autograder.zip)")
    bundle.add_argument(
        "--timeout",
        type=float,
        default=default_limits.TIMEOUT_S,
        metavar="SECONDS",
        help=f"wall-clock limit per submission (default {default_limits.TIMEOUT_S:g})",
    )
    bundle.add_argument(
        "--memory",
        type=int,
        default=default_limits.MEMORY_MB,
        metavar="MB",
        help=f"memory limit per submission (default {default_limits.MEMORY_MB})",
    )
    bundle.add_argument(
        "--allow-advisory",
        action="store_true",
        help="build it even when the exercise's tests need the solution's own objects: every score "
        "Gradescope records is then advisory (the submission could have forged it)",
    )
    bundle.set_defaults(run=run_gradescope)


def resolve_exercise(name: str) -> Path:
    """A path to an exercise folder, or a name under the packaged exercises/. A bare name is a folder here only
    when that folder is an exercise: a learner's own `data_parallel/` (from `quiz exercise start`) holds no tests,
    and `quiz grade data_parallel data_parallel/solution.py` means the shipped one."""
    given, plain = Path(name), name.rstrip("/")  # "data_parallel/", as tab completion writes it
    bare = "/" not in plain and not name.startswith(".")
    shipped = paths.exercise_names()
    if given.is_dir() and ((given / "tests").is_dir() or not (bare and plain in shipped)):
        folder = given
    elif not bare:
        raise UsageError(f"no such exercise folder: {name}")
    else:
        folder = paths.exercises_dir() / plain
        if not folder.is_dir():
            raise UsageError(f"unknown exercise '{name}' (known: {', '.join(shipped) or 'none'})")
    try:
        read_exercise(folder)  # ours (tests/) or Exercism's (*_test.py beside the solution)
    except NotAnExercise as exc:
        raise UsageError(str(exc)) from None
    return folder.resolve()


def expand_submissions(given: list[str]) -> list[Path]:
    found: list[Path] = []
    for item in given:
        path = Path(item)
        if path.is_dir():
            files = sorted(p for p in path.glob("*.py") if p.is_file() and p.name not in SKIPPED_FILES)
            if not files:
                raise UsageError(f"no .py submissions in {item}")
            found.extend(files)
        elif path.is_file():
            if path.suffix != ".py":
                raise UsageError(f"not a Python file: {item}")
            found.append(path)
        else:
            raise UsageError(f"no such file or directory: {item}")
    return found


def check_limits(args: argparse.Namespace) -> None:
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1 (got {args.jobs})")
    if args.jobs is not None and args.cluster:
        raise UsageError(
            "--jobs is for this machine; with --cluster, each worker's --nworkers and --nthreads "
            "decide how many submissions it grades at once"
        )
    if args.cluster and not CLUSTER_ADDRESS.match(args.cluster):
        raise UsageError(f"--cluster takes the scheduler's address, as tcp://HOST:PORT (got {args.cluster!r})")
    if args.allow_weak_isolation and not args.cluster:
        raise UsageError(
            "--allow-weak-isolation is for --cluster (here, the grader uses the best isolation this "
            "machine has and each result says which)"
        )
    if not 0 < args.timeout < float("inf"):
        raise UsageError(f"--timeout must be a number of seconds above 0 (got {args.timeout:g})")
    if args.memory < 64:
        raise UsageError(f"--memory must be at least 64 MB (got {args.memory})")
    if args.disk < 16:
        raise UsageError(f"--disk must be at least 16 MB (got {args.disk})")


class Progress:
    """A bar on stderr when it is a terminal, plain lines otherwise (logs, CI)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.tty = sys.stderr.isatty()
        self.lock = threading.Lock()
        if self.tty:
            self.draw()

    def draw(self, last: str = "") -> None:
        width = 30
        filled = width * self.done // self.total
        sys.stderr.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total} graded {last}\033[K")
        sys.stderr.flush()

    def __call__(self, result) -> None:
        with self.lock:
            self.done += 1
            label = f"{Path(result.submission).name}: {result.status} {result.score:g}/{result.max_score:g}"
            if self.tty:
                self.draw(label)
                if self.done == self.total:
                    sys.stderr.write("\n")
            else:
                print(f"[{self.done}/{self.total}] {label}", file=sys.stderr, flush=True)


def check_writable(target: str | None, is_folder: bool) -> None:
    """Before grading, so a typo in a path does not throw away a batch's results."""
    if not target:
        return
    where = Path(target).resolve()
    if is_folder and where.exists() and not where.is_dir():
        raise UsageError(
            f"--output must be a folder for several submissions (one results.json each), and {target} is a file"
        )
    if is_folder:  # created when written: the nearest existing folder above it must be writable
        while not where.exists():
            where = where.parent
    else:
        where = where.parent
        if not where.is_dir():
            raise UsageError(f"no such folder for {target}")
    if not os.access(where, os.W_OK):
        raise UsageError(f"cannot write {target}: permission denied")


def write_file(target: str, text: str) -> None:
    """One clear line, not a traceback, when the file cannot be written after all (a read-only mount...)."""
    try:
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {exc.strerror or exc}") from None


def run_grade(args: argparse.Namespace) -> int:
    from quiz.grading import formats
    from quiz.grading.runner import grade_batch

    check_limits(args)
    exercise = resolve_exercise(args.exercise)
    submissions = expand_submissions(args.submissions)
    per_submission_dir = args.format in formats.PER_SUBMISSION and args.output and len(submissions) > 1
    if args.output and not per_submission_dir and Path(args.output).is_dir():
        raise UsageError(f"--output is a folder: {args.output}")
    for target, is_folder in ((args.output, per_submission_dir), (args.csv, False)):
        check_writable(target, is_folder)

    progress = Progress(len(submissions)) if len(submissions) > 1 else None
    if not args.cluster:
        results = grade_batch(
            exercise,
            submissions,
            jobs=args.jobs or 1,
            timeout=args.timeout,
            memory_mb=args.memory,
            disk_mb=args.disk,
            on_done=progress,
        )
        return write_results(args, exercise, results, per_submission_dir)
    from quiz.grading.cluster import ClusterError, grade_on_cluster

    try:
        results = grade_on_cluster(
            args.cluster,
            exercise,
            submissions,
            timeout=args.timeout,
            memory_mb=args.memory,
            disk_mb=args.disk,
            allow_weak_isolation=args.allow_weak_isolation,
            on_done=progress,
            say=lambda line: print(f"quiz grade: {line}", file=sys.stderr),
        )
    except ClusterError as exc:
        graded = [r for r in exc.results if r is not None]
        if graded:
            write_results(args, exercise, graded, per_submission_dir)
        print(f"quiz: {exc}" + ("; the results of those graded are written" if graded else ""), file=sys.stderr)
        return ExitCode.INCOMPLETE
    return write_results(args, exercise, results, per_submission_dir)


def write_results(args: argparse.Namespace, exercise: Path, results: list, per_submission_dir: bool) -> int:
    from quiz.grading import formats

    name = exercise.name
    if per_submission_dir:
        try:
            written = formats.write_per_submission(args.format, results, Path(args.output))
        except OSError as exc:
            raise UsageError(f"cannot write under {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {len(written)} results.json file(s) under {args.output}", file=sys.stderr)
        for submission, path in written.items():
            if path.parent.name != Path(submission).stem:  # the same file name twice: say which is which
                print(f"  {submission} -> {path}", file=sys.stderr)
    else:
        text = {
            "text": lambda: formats.render_text(results),
            "json": lambda: formats.render_json(name, results),
            "junit": lambda: formats.render_junit(name, results),
            "gradescope": lambda: formats.render_per_submission("gradescope", results),
            "exercism": lambda: formats.render_per_submission("exercism", results),
        }[args.format]()
        if args.output:
            write_file(args.output, text)
        else:
            sys.stdout.write(text)
    if args.csv:
        write_file(args.csv, formats.render_csv(results))
    return ExitCode.OK if all(r.passed for r in results) else ExitCode.INVALID


def run_gradescope(args: argparse.Namespace) -> int:
    from quiz.grading import gradescope_bundle

    exercise = resolve_exercise(args.exercise)
    if not 0 < args.timeout < float("inf") or args.memory < 64:
        raise UsageError("--timeout must be above 0 seconds and --memory at least 64 MB")
    check_writable(args.output, False)
    refuse_advisory_bundle(exercise, args)
    try:
        names = gradescope_bundle.build(exercise, Path(args.output), timeout=args.timeout, memory_mb=args.memory)
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(
        f"wrote {args.output}: {len(names)} files (setup.sh, run_autograder, the quiz package, "
        f"exercises/{exercise.name}/); upload it as the assignment's autograder",
        file=sys.stderr,
    )
    return ExitCode.OK


def refuse_advisory_bundle(exercise: Path, args: argparse.Namespace) -> None:
    """Gradescope records the score, not our `advisory` mark: an exercise whose tests need the solution's own
    objects is bundled only when asked to be."""
    from quiz.grading.isolation import Limits
    from quiz.grading.layouts import Layout
    from quiz.grading.runner import UndecidedMode, advisory_decider, needs_live_objects

    folder = read_exercise(exercise)
    if folder.layout is not Layout.EXERCISM or args.allow_advisory:
        return
    decider = advisory_decider(folder, Path(os.devnull))
    try:
        advisory = decider is not None and needs_live_objects(
            folder, decider, Limits(timeout=args.timeout, memory_mb=args.memory)
        )
    except UndecidedMode:
        advisory = False
    if advisory:
        raise UsageError(
            f"{folder.name}'s tests need the solution's own objects, so each submission would run in one "
            "process with its tests and every score Gradescope records would be advisory (forgeable); "
            "pass --allow-advisory to build it anyway"
        )

"""The suite's report channel, read on the trusted side: the reporter's JSON lines, each checked before it counts.

A line that is not what the reporter writes (no key, a gap in the sequence, a test reported twice or never
collected, a value of the wrong type) ends the run as tampering."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

from quiz.grading.results import TEST_STATUSES, TestResult, clean_text

MAX_REPORT_LINE = 8 * 2**20  # a line over this is not one the reporter wrote
MAX_SUBTESTS = 10_000  # in one run
MAX_TESTS = 100_000  # collected in one run
MAX_WEIGHT = 1_000_000  # points of one test: a sum of them stays finite in every format
MAX_COLLECT_ERRORS = 20  # kept (the first ones); a collection error's text is capped by the reporter


class ReportReader:
    """Checks and collects the reporter's JSON lines. Anything off (a wrong key, a gap in the sequence, a test
    reported twice or not in the collected list) stops the run: the channel is not what the reporter wrote."""

    def __init__(self, key: str, on_test: Callable[[TestResult], None] | None) -> None:
        self.key = key
        self.on_test = on_test
        self.seq = 0
        self.expected: list[dict] | None = None
        self.weights: dict[str, dict] = {}
        self.results: dict[str, TestResult] = {}
        self.subtests: dict[str, list[TestResult]] = {}  # node id -> its subtests, in the order they ran
        self.running: str | None = None
        self.collect_errors: list[str] = []
        self.ended = False
        self.tampering: list[str] = []
        self.exitstatus: int | None = None
        self.stops: list[dict] = []  # why submission processes ended early (remote.Stop as dicts)
        self.isolation: dict = {}
        self.live_objects: list[str] = []  # why the tests needed the solution's own objects (solution_module.py)

    def take(self, line: bytes) -> bool:
        """One line of the channel. Whatever a line holds, the answer is True (read) or False (the channel is
        broken, recorded in `tampering`): never an exception, so no line can cost the batch its results."""
        if len(line) > MAX_REPORT_LINE:
            return self.forged(f"a report line of {len(line)} bytes")
        if not line.strip():
            return True
        try:
            return self._take(line)
        except Exception as exc:  # noqa: BLE001 - a line we cannot read is the channel's fault, not the grader's
            return self.forged(f"a report line that could not be read ({type(exc).__name__})")

    def _take(self, line: bytes) -> bool:
        try:
            event = json.loads(line, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            return self.forged("a line on the report channel is not JSON")
        if not isinstance(event, dict) or event.get("key") != self.key:
            return self.forged("a line on the report channel does not carry this run's key")
        if event.get("seq") != self.seq + 1 or self.ended:
            return self.forged("the report channel's sequence was broken")
        self.seq += 1
        kind = event.get("event")
        if kind == "collected":
            if self.expected is not None:
                return self.forged("the list of tests was sent twice")
            tests = event.get("tests")
            if not isinstance(tests, list) or len(tests) > MAX_TESTS or not all(_is_collected_test(t) for t in tests):
                return self.forged("a malformed list of tests")
            self.expected = tests
            self.weights = {t["nodeid"]: t for t in self.expected}
        elif kind == "collect_error":
            if len(self.collect_errors) < MAX_COLLECT_ERRORS:
                self.collect_errors.append(clean_text(str(event.get("message", ""))[:4000]))
        elif kind == "start":
            self.running = event.get("nodeid")
        elif kind == "result":
            return self.take_result(event)
        elif kind == "subtest":
            return self.take_subtest(event)
        elif kind == "end":
            self.ended = True
            status, stops, isolation = event.get("exitstatus"), event.get("stops") or [], event.get("isolation") or {}
            live = event.get("live_objects") or []
            if (
                type(status) is not int
                or not isinstance(stops, list)
                or not isinstance(isolation, dict)
                or not isinstance(live, list)
                or not all(isinstance(why, str) for why in live)
            ):
                return self.forged("a malformed end of the run")
            self.live_objects = [clean_text(why)[:300] for why in live[:20]]
            self.exitstatus = status
            self.stops = [stop for stop in stops if isinstance(stop, dict)]
            self.isolation = isolation
        return True

    def take_result(self, event: dict) -> bool:
        nodeid = event.get("nodeid")
        if self.expected is None or nodeid not in self.weights or nodeid in self.results:
            return self.forged(f"a result for {nodeid!r} that was not expected")
        if nodeid != self.running:  # pytest always announces a test before it reports it
            return self.forged(f"a result for {nodeid!r}, which had not started")
        status, duration = event.get("status"), event.get("duration", 0.0)
        if status not in TEST_STATUSES:
            return self.forged(f"an unknown status {status!r}")
        if not _is_number(duration) or not 0 <= duration < 1e7:
            return self.forged(f"a duration that is not a number of seconds ({duration!r})")
        message, output = event.get("message", ""), event.get("output", "")
        if not isinstance(message, str) or not isinstance(output, str):
            return self.forged("a message or output that is not text")
        result = self.test_result(nodeid, status, message, float(duration), output)
        self.results[nodeid] = result
        self.running = None
        if self.on_test is not None:
            self.on_test(result)
        return True

    def take_subtest(self, event: dict) -> bool:
        nodeid, name = event.get("nodeid"), event.get("name")
        if self.expected is None or nodeid != self.running or nodeid in self.results:
            return self.forged(f"a subtest of {nodeid!r}, which is not running")
        if not isinstance(name, str) or not 0 < len(name) <= 400:
            return self.forged("a subtest without a name")
        if sum(map(len, self.subtests.values())) >= MAX_SUBTESTS:
            return self.forged(f"more than {MAX_SUBTESTS} subtests")
        status, duration = event.get("status"), event.get("duration", 0.0)
        message, output = event.get("message", ""), event.get("output", "")
        if (
            status not in TEST_STATUSES
            or status == "error"
            or not _is_number(duration)
            or duration < 0
            or not isinstance(message, str)
            or not isinstance(output, str)
        ):
            return self.forged(f"a malformed subtest of {nodeid!r}")
        result = self.test_result(nodeid, status, message, float(duration), output)
        result.name, result.parent, result.weight, result.score = f"{nodeid} {name}", nodeid, 0, 0
        self.subtests.setdefault(nodeid, []).append(result)
        return True

    def test_result(
        self, nodeid: str, status: str, message: str, duration: float = 0.0, output: str = ""
    ) -> TestResult:
        """A collected test's result, with the weight, task and code the collection gave it."""
        info = self.weights[nodeid]
        weight = info.get("weight", 1)
        return TestResult(
            name=nodeid,
            status=status,
            message=clean_text(message),
            duration=duration,
            output=clean_text(output),
            weight=weight,
            score=weight if status == "pass" else 0,
            task_id=info.get("task_id"),
            verdict=info.get("verdict"),
            test_code=info.get("test_code", ""),
        )

    def stop(self, *reasons: str) -> dict | None:
        """The first early stop of a submission process for one of `reasons` (all when none given)."""
        return next((stop for stop in self.stops if not reasons or stop.get("reason") in reasons), None)

    def crash(self) -> str | None:
        """'SIGSEGV while running <test>' when a submission process crashed in native code."""
        stop = self.stop("crash")
        if stop is None:
            return None
        return str(stop.get("signal")) + (f" while running {stop['test']}" if stop.get("test") else "")

    def forged(self, why: str) -> bool:
        self.tampering.append(why)
        return False


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number this channel carries")


def _is_number(value: object) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _is_collected_test(test: object) -> bool:
    """One entry of the collected list: a node id, a finite weight of at least 0, the fields' types."""
    return (
        isinstance(test, dict)
        and isinstance(test.get("nodeid"), str)
        and _is_number(test.get("weight", 1))
        and 0 <= test.get("weight", 1) <= MAX_WEIGHT
        and isinstance(test.get("test_code", ""), str)
        and (test.get("task_id") is None or type(test.get("task_id")) is int)
        and isinstance(test.get("verdict"), (str, type(None)))
    )

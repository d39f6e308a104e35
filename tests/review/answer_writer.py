"""A separate process that answers questions as fast as it can, printing each answer's id once the store
has returned (committed). The durability tests kill it or run two of it at once. When it had to move an
unreadable store aside, it says so on standard error, as the CLI does.

usage: python answer_writer.py DATA_DIR NAME COUNT [START_FILE]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from quiz.review.scorer import ScoreResult
from quiz.review.store import ReviewStore


def main() -> None:
    data_dir, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if len(sys.argv) > 4:  # wait for the go signal, so two writers really overlap
        while not Path(sys.argv[4]).exists():
            time.sleep(0.005)
    store = ReviewStore.open(data_dir)
    if store.recovered_from is not None:
        print(store.recovery_message(), file=sys.stderr, flush=True)
    session = store.start_session("drill")
    for i in range(count):
        question = f"{name}.q{i % 7}"
        result = ScoreResult(question, 0.5, ("a",), ("b",), 2)
        attempt_id = store.record_attempt(session, question, f"{name} answer {i}", result, 1.0)
        store.rate(question, 1 + i % 4)
        print(attempt_id, flush=True)
    print("done", flush=True)
    time.sleep(3600 if count == 10**9 else 0)


if __name__ == "__main__":
    main()

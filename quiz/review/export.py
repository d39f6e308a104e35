"""The history (answers and reviews) as plain rows, written as JSON or CSV for `quiz export`."""

from __future__ import annotations

import csv
import io
import json

CSV_COLUMNS = (
    "kind",
    "time",
    "question_id",
    "session_id",
    "mode",
    "answer",
    "score",
    "covered",
    "missed",
    "contradicted",
    "suggested_rating",
    "duration_s",
    "rating",
    "due_after",
)


def attempt_row(row: tuple) -> dict:
    """One stored attempt (the columns ReviewStore.history selects) as plain values."""
    (id_, time, qid, session_id, mode, answer, score, covered, missed, contradicted, suggested, duration) = row
    return {
        "id": id_,
        "time": time,
        "question_id": qid,
        "session_id": session_id,
        "mode": mode,
        "answer": answer,
        "score": score,
        "covered": json.loads(covered) if covered else [],
        "missed": json.loads(missed) if missed else [],
        "contradicted": json.loads(contradicted) if contradicted else [],
        "suggested_rating": suggested,
        "duration_s": duration,
    }


def to_json(history: dict[str, list[dict]]) -> str:
    return json.dumps(history, ensure_ascii=False, indent=2) + "\n"


def to_csv(history: dict[str, list[dict]]) -> str:
    """One table, one row per event: `kind` is attempt, review or draft (an answer typed and not yet submitted);
    key point lists are joined with spaces."""
    rows = [
        {
            "kind": "attempt",
            **a,
            "covered": " ".join(a["covered"]),
            "missed": " ".join(a["missed"]),
            "contradicted": " ".join(a["contradicted"]),
        }
        for a in history["attempts"]
    ]
    rows += [{"kind": "review", **r} for r in history["reviews"]]
    rows += [{"kind": "draft", "id": 0, **d} for d in history.get("drafts", [])]
    rows.sort(key=lambda r: (r["time"], r["kind"], r["id"]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()

"""The progress store's schema, one script per version; PRAGMA user_version says which ones a file has had.

Never edit a released script: add the next one. Times are ISO-8601 UTC strings of one fixed width
(`2026-11-28T09:30:00.000000+00:00`), so comparing the text compares the moments. There is no foreign key to
the bank: a question removed from the bank keeps its history under its id.
"""

from __future__ import annotations

V1 = """
CREATE TABLE cards (
    question_id  TEXT PRIMARY KEY,
    card         TEXT NOT NULL,      -- py-fsrs Card.to_json()
    due          TEXT NOT NULL,
    state        INTEGER NOT NULL,   -- 1 learning, 2 review, 3 relearning
    first_review TEXT NOT NULL,      -- counts against the new-cards-per-day limit on that UTC day
    last_review  TEXT NOT NULL
);
CREATE INDEX cards_due ON cards (due);
CREATE TABLE review_logs (
    id          INTEGER PRIMARY KEY,
    question_id TEXT NOT NULL,
    rating      INTEGER NOT NULL,    -- 1 Again, 2 Hard, 3 Good, 4 Easy
    reviewed_at TEXT NOT NULL,
    due_after   TEXT NOT NULL,
    card_before TEXT                 -- the card before this rating (NULL: it was new), for undo
);
CREATE INDEX review_logs_question ON review_logs (question_id);
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY,
    mode       TEXT NOT NULL,        -- practice | drill | mock
    started_at TEXT NOT NULL,
    ended_at   TEXT
);
CREATE TABLE attempts (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER,
    question_id TEXT NOT NULL,
    answer      TEXT NOT NULL,
    score       REAL,                -- NULL when the answer was not scored
    covered     TEXT,                -- JSON list of key point ids
    duration_s  REAL NOT NULL,
    answered_at TEXT NOT NULL
);
CREATE INDEX attempts_question ON attempts (question_id);
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL              -- JSON
);
"""

# v2: keep what the scorer said alongside the answer (missed points, suggested rating), so the history can show
# what was missing and how often the user overrode the suggestion; and index reviews by time for per-day stats.
V2 = """
ALTER TABLE attempts ADD COLUMN missed TEXT;
ALTER TABLE attempts ADD COLUMN suggested_rating INTEGER;
CREATE INDEX review_logs_time ON review_logs (reviewed_at);
"""

# v3: the key points an answer contradicted (stated the opposite of), apart from the ones it only missed.
V3 = """
ALTER TABLE attempts ADD COLUMN contradicted TEXT;
"""

# v4: what is typed in an answer box, saved as it is typed and removed when the answer is submitted: a
# half-typed answer survives quitting, a closed terminal and a killed app.
V4 = """
CREATE TABLE drafts (
    question_id TEXT PRIMARY KEY,
    text        TEXT NOT NULL,
    saved_at    TEXT NOT NULL
);
"""

SCRIPTS = (V1, V2, V3, V4)
CURRENT = len(SCRIPTS)

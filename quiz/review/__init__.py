"""Scoring answers, scheduling reviews (FSRS) and the progress store (SQLite)."""

"""Anki interop: `quiz anki export` (a bank to an .apkg) and `quiz anki import` (an .apkg to a bank)."""

DECK_PREFIX = "quiz::"  # an exported bank deck's Anki name: quiz::<deck id>

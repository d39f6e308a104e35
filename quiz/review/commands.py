"""Subcommands of this room (not yet built)."""


def register(sub, parent) -> None:
    return None

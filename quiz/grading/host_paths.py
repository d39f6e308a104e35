"""Which host paths a sandbox's new root holds, and which it covers: the reference solutions wherever they lie."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def hidden_paths(candidates: list[Path], keep: list) -> list[str]:
    """The exercise folders (the reference solutions), to be covered by an empty tmpfs inside the sandbox,
    unless covering one would also hide something the run needs."""
    hidden = []
    for candidate in candidates:
        folder = os.path.realpath(candidate)
        if not os.path.isdir(folder) or folder in hidden:
            continue
        if any(os.path.commonpath([folder, os.path.realpath(k)]) == folder for k in keep):
            continue
        hidden.append(folder)
    return hidden


def git_dirs(folders: list[Path]) -> list[Path]:
    """The .git folders of the checkouts holding these folders: their objects hold every committed reference.py."""
    found = []
    for folder in folders:
        for parent in (Path(os.path.realpath(folder)), *Path(os.path.realpath(folder)).parents):
            if (parent / ".git").is_dir():
                found.append(parent / ".git")
                break
    return found


def project_tests(folders: list[Path]) -> list[Path]:
    """The tests/ folder of a checkout holding these folders: its fixtures hold correct solutions and the toy
    exercise's suite."""
    return [
        Path(os.path.realpath(folder)).parent / "tests"
        for folder in folders
        if (Path(os.path.realpath(folder)).parent / "tests").is_dir()
    ]


def needed_paths() -> list[str]:
    """What the new root holds of the host besides the system: the interpreter's installation, the venv, every
    site-packages folder on the path (a .pth may add another venv's), and the quiz package (its folder only, not
    the checkout around it). Outermost first, none inside another."""
    import quiz

    site_folders = [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    wanted = sorted(
        {
            os.path.realpath(p)
            for p in (
                sys.base_prefix,
                sys.prefix,
                os.path.dirname(sys.executable),
                os.path.dirname(os.path.realpath(sys.executable)),
                os.path.dirname(os.path.abspath(quiz.__file__)),
                *site_folders,
            )
            if os.path.isdir(p)
        }
    )
    kept: list[str] = []
    for path in wanted:
        if path.startswith(("/usr/", "/bin/", "/lib")) or path == "/usr":
            continue  # in the system folders already
        if not any(os.path.commonpath([path, k]) == k for k in kept):
            kept.append(path)
    return kept


def installed_data() -> list[Path]:
    """Copies of the shipped exercises an install put beside the package (site-packages/quiz/_data: a wheel's, and
    an editable install's too): their reference solutions, to hide."""
    found = []
    for entry in sys.path:
        candidate = Path(entry) / "quiz" / "_data"
        if entry and candidate.is_dir():
            found.append(candidate)
    return found

"""`quiz gradescope EXERCISE --output autograder.zip`: the zip Gradescope's autograder takes, built in one command.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once when it builds the image, then
`run_autograder` for each submission: the student's files are in /autograder/submission/, and the results must be
written to /autograder/results/results.json (Gradescope's spec: score, execution_time, output, tests[] with name,
score, max_score, status, output, visibility; stdout_visibility). The zip holds:

    setup.sh            installs Python 3.11, a venv with this project's dependencies, and this project (a .pth)
    run_autograder      finds the submission's file and runs `quiz grade ... --format gradescope`
    quiz/               this project's package, as installed here
    requirements.txt    its dependencies, as this installation declares them
    exercises/NAME/     the exercise, with its tests (where the package looks for shipped exercises: the sandbox
                        hides it from the submission)
    settings.json       the limits the bundle grades with

`run_autograder` reads the root from QUIZ_AUTOGRADER_ROOT (default /autograder) and the Python from
QUIZ_AUTOGRADER_PYTHON (default the venv setup.sh made), so a test can run it in a temp folder. Whatever goes wrong,
it writes a results.json that says so: Gradescope shows nothing for a run that wrote none.
"""

from __future__ import annotations

import json
import re
import stat
import zipfile
from importlib import metadata
from pathlib import Path

import quiz
from quiz.grading.layouts import Layout, read_exercise

SETUP_SH = """\
#!/usr/bin/env bash
# Run once by Gradescope when it builds the autograder's image (Ubuntu, as root).
set -euo pipefail
cd /autograder/source
apt-get update
apt-get install -y python3.11 python3.11-venv util-linux
python3.11 -m venv /autograder/venv
/autograder/venv/bin/pip install --upgrade pip
/autograder/venv/bin/pip install -r requirements.txt
# this project, as the zip carries it: a .pth puts /autograder/source on the venv's path
/autograder/venv/bin/python - <<'EOF'
import site, pathlib
pathlib.Path(site.getsitepackages()[0], "quiz-autograder.pth").write_text("/autograder/source\\n")
EOF
/autograder/venv/bin/python -m quiz --version
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Run by Gradescope for each submission: grade /autograder/submission into /autograder/results/results.json.
set -uo pipefail
ROOT="${QUIZ_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${QUIZ_AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
SOURCE="$ROOT/source"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
settings() { "$PYTHON" -I -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$SOURCE/settings.json" "$1"; }
fail() {  # a results.json that says why, whatever broke
  "$PYTHON" - "$RESULTS" "$1" <<'EOF' || printf '{"score": 0, "execution_time": 0, "output": "the autograder could not run: no Python at %s", "tests": [], "stdout_visibility": "hidden"}\\n' "$PYTHON" > "$RESULTS"
import json, sys
json.dump({"score": 0, "execution_time": 0, "output": sys.argv[2], "tests": [], "stdout_visibility": "hidden"},
          open(sys.argv[1], "w"))
EOF
  exit 0
}
EXERCISE="$SOURCE/exercises/$(settings exercise)" || fail "the autograder's settings.json cannot be read"
WANTED="$(settings solution)"
shopt -s nullglob
files=("$ROOT"/submission/*.py)
if [ ${#files[@]} -eq 1 ]; then
  SUBMISSION="${files[0]}"
elif [ -f "$ROOT/submission/$WANTED" ]; then
  SUBMISSION="$ROOT/submission/$WANTED"
else
  fail "no submission to grade: upload one Python file (named $WANTED); found ${#files[@]} .py files"
fi
rm -f "$RESULTS"
cd "$SOURCE" || fail "no $SOURCE"
# -I: the venv's quiz (the zip's), never a quiz/ folder wherever this runs from
"$PYTHON" -I -m quiz grade "$EXERCISE" "$SUBMISSION" --format gradescope --output "$RESULTS" \\
  --timeout "$(settings timeout)" --memory "$(settings memory_mb)"
status=$?
if [ ! -s "$RESULTS" ]; then
  fail "the grader stopped (exit status $status) before it wrote a result; nothing was graded"
fi
exit 0
"""

LEFT_OUT = re.compile(r"(^|/)(__pycache__|\.pytest_cache|\.git)(/|$)|\.pyc$|^_data/")  # _data: a wheel's bank


def build(exercise_dir: Path, output: Path, *, timeout: float, memory_mb: int) -> list[str]:
    """Write the zip; the names it holds, in order. The zip itself is never among them, wherever it is written."""
    exercise = read_exercise(exercise_dir)
    solution = "solution.py" if exercise.layout is Layout.QUIZ else f"{exercise.solution_module}.py"
    settings = {"exercise": exercise.name, "solution": solution, "timeout": timeout, "memory_mb": memory_mb}
    package = Path(quiz.__file__).parent
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        executable("setup.sh", SETUP_SH, bundle)
        executable("run_autograder", RUN_AUTOGRADER, bundle)
        bundle.writestr("requirements.txt", "\n".join(requirements()) + "\n")
        bundle.writestr("settings.json", json.dumps(settings, indent=2) + "\n")
        for folder, prefix in ((package, "quiz"), (exercise.folder, f"exercises/{exercise.name}")):
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder).as_posix()
                if path.is_file() and not LEFT_OUT.search(relative) and path.resolve() != output.resolve():
                    bundle.write(path, f"{prefix}/{relative}")
        return bundle.namelist()


def executable(name: str, text: str, bundle: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    bundle.writestr(info, text)


def requirements() -> list[str]:
    """This installation's own dependencies (not its test extras)."""
    declared = metadata.requires("quiz") or []
    return [line for line in declared if "extra ==" not in line]

"""Write each case's `expected_results.json` with Exercism's own Python test runner (AGPL-3.0: it is run, never
copied here; what it writes about these cases, which are this project's, is kept).

    git clone https://github.com/exercism/python-test-runner /tmp/exercism-runner   # commit 83c3277 was used
    python3 -m venv /tmp/exercism-venv && /tmp/exercism-venv/bin/pip install 'pytest~=8.4.0' 'pytest-subtests~=0.14.2'
    PATH=/tmp/exercism-venv/bin:$PATH python3 tests/grading/exercism/expected.py /tmp/exercism-runner

The runner is called as Exercism calls it (`bin/run.sh SLUG INPUT_DIR OUTPUT_DIR`) on a copy of each case.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CASES = Path(__file__).parent


def main(runner: Path) -> None:
    for case in sorted(p for p in CASES.iterdir() if p.is_dir() and not p.name.startswith("_")):
        with tempfile.TemporaryDirectory() as scratch:
            copy, out = Path(scratch) / case.name, Path(scratch) / "out"
            shutil.copytree(case, copy, ignore=shutil.ignore_patterns("expected_results.json", "__pycache__"))
            out.mkdir()
            slug = next(copy.glob("*_test.py")).name.removesuffix("_test.py").replace("_", "-")
            subprocess.run(["sh", str(runner / "bin" / "run.sh"), slug, str(copy), str(out), "--color=no"],
                           cwd=runner, capture_output=True, check=False)
            results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        (case / "expected_results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                                    encoding="utf-8")
        print(f"{case.name}: {results['status']}, {len(results['tests'])} tests")


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())

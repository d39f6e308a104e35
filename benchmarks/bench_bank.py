"""Load and validate a generated bank of 10,000 questions, against only parsing the same files with the C YAML
loader. Targets (issue 2): under 1.5 s on a 2-core machine, and at most 2x the parse-only time.

Two load times are printed: cold (no cache: parse, schema, checks, objects; a bank this big is parsed in worker
processes, one per core) and warm (files unchanged since they were last checked: read back from quiz's bank
cache, then objects built). The parse-only ratio is taken against the cold time, which does all the work. Then the
cold load again with each of the loader's speed-ups switched off in turn (the worker processes, the cycle
collector switched off while loading, values built straight from the node tree), to show what each is worth here.

    python benchmarks/bench_bank.py [--questions 10000] [--files 20]
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

from quiz.bank import cache, load_bank, loader, parallel, yaml_values

QUESTION = """\
  - id: gen.q{n}
    type: {type}
    topic: topic{topic}
    tags: [generated, t{tag}]
    difficulty: medium
    source: "generated {n}"
    prompt:
      zh: 第 {n} 题：为什么并行处理对 AI 的速度至关重要？
      en: "Question {n}: why does parallel processing matter for the speed of AI?"
    answer:
      zh: |
        并行处理可以同时执行多个计算任务，缩短训练时间，并充分利用计算资源。
      en: |
        Parallel processing runs many computations at once, shortens training and uses the hardware fully.
    key_points:
      - id: concurrency
        point: {{zh: 同时执行多个任务, en: Runs many tasks at once}}
        concepts:
          - {{zh: [同时, 并行], en: [parallel, concurrent, "at once"]}}
      - id: training-time
        point: {{zh: 缩短训练时间, en: Shortens training time}}
        concepts:
          - {{zh: [训练时间, 缩短], en: [training time, faster training]}}
    code:
      - language: python
        source: |
          import tensorflow as tf
          strategy = tf.distribute.MirroredStrategy()
          with strategy.scope():
              model = build_model()
"""

CHOICE_EXTRA = """\
    options:
      - {{id: a, text: {{zh: 甲, en: A}}}}
      - {{id: b, text: {{zh: 乙, en: B}}}}
    correct: [b]
"""


def generate(folder: Path, questions: int, files: int) -> list[Path]:
    paths = []
    per_file = questions // files
    n = 0
    for f in range(files):
        parts = [f"deck:\n  id: gen{f}\n  title: {{zh: 生成 {f}, en: Generated {f}}}\nquestions:\n"]
        for _ in range(per_file):
            kind = "choice" if n % 4 == 0 else "open"
            parts.append(QUESTION.format(n=n, type=kind, topic=n % 7, tag=n % 13))
            if kind == "choice":
                parts.append(CHOICE_EXTRA.format())
            n += 1
        path = folder / f"gen{f:02d}.yaml"
        path.write_text("".join(parts), encoding="utf-8")
        paths.append(path)
    return paths


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bank").mkdir()
        paths = generate(Path(tmp) / "bank", args.questions, args.files)
        size_mb = sum(p.stat().st_size for p in paths) / 1e6

        def parse_only() -> None:
            gc.disable()  # as the loader does: fair to the baseline, which GC would slow by ~1.7x
            try:
                for p in paths:
                    yaml.load(p.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            finally:
                gc.enable()

        def load_and_validate() -> None:
            bank = load_bank(Path(tmp) / "bank")
            assert len(bank.questions) == args.questions // args.files * args.files

        def cold() -> None:
            with tempfile.TemporaryDirectory() as cache_root:
                os.environ["QUIZ_CACHE_DIR"] = cache_root
                cache.cache_dir.cache_clear()
                load_and_validate()

        parse = best_of(args.runs, parse_only)
        full = best_of(args.runs, cold)
        with tempfile.TemporaryDirectory() as cache_root:
            os.environ["QUIZ_CACHE_DIR"] = cache_root
            cache.cache_dir.cache_clear()
            load_and_validate()  # fills the cache
            warm = best_of(args.runs, load_and_validate)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(
        f"bank: {args.questions} questions in {args.files} files, {size_mb:.1f} MB (best of {args.runs}); "
        f"{parallel.cores()} core(s) for the cold load's workers"
    )
    print(f"parse only (C YAML loader):  {parse:.3f} s")
    print(f"load + validate, cold:       {full:.3f} s   target < 1.5 s: {'ok' if full < 1.5 else 'MISSED'}")
    print(f"load + validate, warm cache: {warm:.3f} s   target < 1.5 s: {'ok' if warm < 1.5 else 'MISSED'}")
    print(f"ratio cold load / parse:     {full / parse:.2f}x  target <= 2x: {'ok' if full / parse <= 2 else 'MISSED'}")
    print("what each speed-up is worth (cold loads; the time without it / with it):")
    for name, without, with_it in speed_ups(args):
        print(f"  {name:<58} {without:.3f} s / {with_it:.3f} s = {without / with_it:.2f}x")


def speed_ups(args) -> list[tuple[str, float, float]]:
    """The cold load with and without each speed-up. The worker processes against one process; the other two in
    one process (the workers are processes of their own, which a switch made here would not reach)."""

    def not_unusual(node, constructor):  # yaml_values.build refusing everything: PyYAML's SafeConstructor builds
        raise yaml_values.Unusual

    @contextlib.contextmanager
    def collecting():
        yield

    one_process = (loader, "PARALLEL_BYTES", float("inf"))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bank").mkdir()
        generate(Path(tmp) / "bank", args.questions, args.files)

        def cold(*switches) -> float:
            originals = [(module, attribute, getattr(module, attribute)) for module, attribute, _ in switches]
            for module, attribute, replacement in switches:
                setattr(module, attribute, replacement)
            try:

                def once() -> None:
                    with tempfile.TemporaryDirectory() as cache_root:
                        os.environ["QUIZ_CACHE_DIR"] = cache_root
                        cache.cache_dir.cache_clear()
                        load_bank(Path(tmp) / "bank")

                return best_of(args.runs, once)
            finally:
                for module, attribute, original in originals:
                    setattr(module, attribute, original)

        single = cold(one_process)
        return [
            ("worker processes, one per core (against one process)", single, cold()),
            (
                "the cycle collector off while loading (one process)",
                cold(one_process, (loader, "_no_cycle_collection", collecting)),
                single,
            ),
            (
                "values built straight from the node tree (one process)",
                cold(one_process, (yaml_values, "build", not_unusual)),
                single,
            ),
        ]


if __name__ == "__main__":
    main()

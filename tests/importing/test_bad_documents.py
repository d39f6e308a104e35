"""`quiz import-doc` on what is not an interview document: one clear line and an exit code, nothing written."""

from __future__ import annotations

from tests.bank.test_cli import quiz

ARTICLE = """\
# Why I moved our training jobs to spot instances

We train a handful of models every night. Here is what changed when we moved to spot capacity.

## What we did

- **Checkpoints every ten minutes**: a preempted job resumes where it stopped.
- **Smaller shards**: each job reads only its part of the data.

```python
callback = tf.keras.callbacks.BackupAndRestore(backup_dir="/ckpt")
```

That is all.
"""


def test_a_document_without_questions_is_one_line_and_exit_1(tmp_path):
    document = tmp_path / "blog.md"
    document.write_text(ARTICLE, encoding="utf-8")
    result = quiz("import-doc", str(document), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"quiz: no interview questions found in {document} (looked for 面试题 / 题目 / 题目描述 / Question / Q: labels "
        f"and headings)"
    ]
    assert result.stdout == "" and not (tmp_path / "out").exists()


def test_bytes_that_are_not_utf8_are_one_line_and_exit_1(tmp_path):
    document = tmp_path / "gbk.md"
    document.write_bytes("**面试题：** 为什么？".encode("gbk"))
    result = quiz("import-doc", str(document), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(f"quiz: {document} is not UTF-8 text")
    assert not (tmp_path / "out").exists()


def test_a_missing_file_a_folder_and_a_bad_deck_id_are_usage_errors(tmp_path):
    missing = quiz("import-doc", str(tmp_path / "nope.md"))
    assert (missing.returncode, missing.stderr.strip()) == (2, f"quiz: no such file: {tmp_path / 'nope.md'}")
    folder = quiz("import-doc", str(tmp_path))
    assert (folder.returncode, folder.stderr.strip()) == (2, f"quiz: {tmp_path} is a directory, not a document")
    document = tmp_path / "q.md"
    document.write_text(
        "**Question:** Why batch requests?\n\n**Answer:**\n\n- **Throughput**: more per second.\n", encoding="utf-8"
    )
    bad = quiz("import-doc", str(document), "--deck", "My Deck")
    assert (bad.returncode, bad.stderr.strip()) == (
        2,
        "quiz: --deck 'My Deck' is not a valid id (lowercase letters, digits, '-', '_')",
    )
    onto_a_file = quiz("import-doc", str(document), "--output", str(document))
    assert (onto_a_file.returncode, onto_a_file.stderr.strip()) == (
        2,
        f"quiz: --output {document} is a file, not a folder",
    )
    for result in (missing, folder, bad, onto_a_file):
        assert "Traceback" not in result.stderr

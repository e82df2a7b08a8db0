"""`api.idempotency` across spec files: one setting for the whole API, like `api.prefix`.

Single-file problems (a bad `ttl_hours`, a misspelt key, the key table's name taken) are
golden cases; what needs several files is here.
"""

from __future__ import annotations

from pathlib import Path

from tests.generator.test_golden import run_generator

TASKS = """version: 1
api: {idempotency: {ttl_hours: 24}}
resources:
  Task:
    fields:
      title: {type: string, max_length: 10}
"""
NOTES = """version: 1
api:
  idempotency: {ttl_hours: %s}
resources:
  Note:
    fields:
      body: {type: text}
"""


def _generate(tmp_path: Path, notes_ttl: int) -> tuple[int, str, Path]:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "a.yaml").write_text(TASKS, encoding="utf-8")
    (tmp_path / "spec" / "b.yaml").write_text(NOTES % notes_ttl, encoding="utf-8")
    run = run_generator(tmp_path / "spec", tmp_path / "generated", cwd=tmp_path)
    return run.returncode, run.stderr, tmp_path / "generated"


def test_spec_files_that_set_different_ttls_are_refused(tmp_path: Path) -> None:
    returncode, stderr, generated = _generate(tmp_path, 12)
    assert returncode == 1
    assert stderr == (
        "spec/b.yaml:3:16: api.idempotency: every spec file that sets it must set the same; "
        "spec/a.yaml keeps keys 24 hours, this one 12\n"
        "spec/: 1 problem; generated/ left unchanged\n"
    )
    assert not generated.exists()


def test_spec_files_that_agree_guard_every_create(tmp_path: Path) -> None:
    returncode, stderr, generated = _generate(tmp_path, 24)
    assert returncode == 0, stderr
    for module in ("task", "note"):
        router = (generated / "routers" / f"{module}.py").read_text(encoding="utf-8")
        assert "idempotency_key: IdempotencyKeyHeader = None" in router
        assert "ttl_hours=24" in router

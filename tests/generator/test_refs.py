"""`type: ref` across spec files: a target may live in another file, and names its id type."""

from __future__ import annotations

from generator.load import SpecDocument, load_document
from generator.model import Spec
from generator.problems import Problem
from generator.runtime.references import split_names
from generator.validate import build_spec

PROJECTS = """\
version: 1
resources:
  Folder:
    path: /owners/{owner}/folders
    id: uuid
    fields:
      name: {type: string, max_length: 50}
"""
TASKS = """\
version: 1
resources:
  Task:
    fields:
      folder_id: {type: ref, to: Folder, nullable: true, on_delete: set_null}
      parent_id: {type: ref, to: Task, nullable: true, on_delete: cascade}
      project_id: {type: ref, to: Projects, nullable: true}
"""


def _build(*texts: tuple[str, str]) -> tuple[Spec | None, list[Problem]]:
    documents: list[SpecDocument] = []
    for file, text in texts:
        document, problems = load_document(text, file=file)
        assert problems == [] and document is not None
        documents.append(document)
    return build_spec(documents, source="spec/")


def test_a_ref_may_point_into_another_file_and_takes_its_targets_id_type() -> None:
    fixed = TASKS.replace("      project_id: {type: ref, to: Projects, nullable: true}\n", "")
    spec, problems = _build(("spec/folders.yaml", PROJECTS), ("spec/tasks.yaml", fixed))
    assert problems == [] and spec is not None
    task = spec.target(next(f for r in spec.resources for f in r.refs if f.to == "Task"))
    folder_id, parent_id = task.refs
    assert (folder_id.to, folder_id.target_id, folder_id.on_delete) == (
        "Folder",
        "uuid",
        "set_null",
    )
    assert (parent_id.to, parent_id.target_id, parent_id.relation) == ("Task", "integer", "parent")
    assert [r.name for r, _ in spec.referrers(spec.target(folder_id))] == ["Task"]


def test_a_target_named_in_no_file_is_refused_where_it_is_written() -> None:
    spec, problems = _build(("spec/folders.yaml", PROJECTS), ("spec/tasks.yaml", TASKS))
    assert spec is None
    assert [(p.file, p.line, p.column, p.key) for p in problems] == [
        ("spec/tasks.yaml", 7, 35, "resources.Task.fields.project_id.to")
    ]
    assert problems[0].message == "no resource named 'Projects' in the spec"


def test_include_names_come_in_one_order_whatever_order_the_client_sends() -> None:
    """The statement cache is keyed by the names: one entry per set, not one per ordering."""
    assert split_names(["project,parent"]) == ["parent", "project"]
    assert split_names(["parent", "project,parent"]) == ["parent", "project"]

"""A few narrow checks of the two modules every later step trusts: loading and naming."""

from __future__ import annotations

import pytest

from generator import naming
from generator.load import Located, Position, YamlList, YamlMap, load_document, locate
from generator.problems import Problem

SPEC = """\
version: 1
resources:
  Task:
    operations: [list, read]
    fields:
      due:
        type: date
        default: 2024-02-29
      at:
        default: 2024-02-29T10:00:00+02:00
"""


def test_values_remember_where_they_were_written() -> None:
    document, problems = load_document(SPEC, file="spec/tasks.yaml")
    assert problems == []
    assert document is not None
    top = document.content
    assert isinstance(top, YamlMap)
    assert top.position == Position(1, 1)
    assert top.key_positions["resources"] == Position(2, 1)
    assert top.value_positions["version"] == Position(1, 10)
    task = top["resources"]["Task"]
    assert isinstance(task, YamlMap)
    assert top["resources"].key_positions["Task"] == Position(3, 3)
    assert task.position == Position(4, 5)
    operations = task["operations"]
    assert isinstance(operations, YamlList)
    assert operations == ["list", "read"]
    assert operations.position == Position(4, 17)
    assert operations.item_positions == [Position(4, 18), Position(4, 24)]
    due = task["fields"]["due"]
    assert due.key_positions["default"] == Position(8, 9)
    assert due.value_positions["default"] == Position(8, 18)


def test_locate_follows_a_pydantic_loc_to_where_it_was_written() -> None:
    document, _ = load_document(SPEC, file="spec.yaml")
    assert document is not None
    top = document.content
    assert locate(top, ("resources", "Task", "fields", "due", "default")) == Located(
        Position(8, 18), Position(8, 9), "resources.Task.fields.due.default"
    )
    # A list index is not part of the key path; a missing key points at its mapping.
    assert locate(top, ("resources", "Task", "operations", 1)) == Located(
        Position(4, 24), Position(4, 24), "resources.Task.operations"
    )
    assert locate(top, ("resources", "Task", "fields", "at", "type")) == Located(
        Position(10, 9), Position(10, 9), "resources.Task.fields.at.type"
    )


def test_dates_and_datetimes_stay_text() -> None:
    document, _ = load_document(SPEC, file="spec.yaml")
    assert document is not None
    fields = document.content["resources"]["Task"]["fields"]
    assert fields["due"]["default"] == "2024-02-29"
    assert fields["at"]["default"] == "2024-02-29T10:00:00+02:00"
    assert type(fields["due"]["default"]) is str


def test_duplicate_key_is_a_problem_at_the_second_key() -> None:
    text = "version: 1\nresources:\n  Task: {}\n  Note: {}\n  Task: {}\n"
    document, problems = load_document(text, file="spec.yaml")
    assert document is None
    assert problems == [
        Problem("spec.yaml", 5, 3, "", "duplicate key 'Task' (first defined at 3:3)")
    ]


def test_yaml_syntax_error_is_a_problem_at_the_error() -> None:
    document, problems = load_document("version: 1\ndescription: a: b\n", file="spec.yaml")
    assert document is None
    assert problems == [
        Problem("spec.yaml", 2, 15, "", "YAML syntax error: mapping values are not allowed here")
    ]


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("Task", "task"),
        ("TaskItem", "task_item"),
        ("HTTPServer", "http_server"),
        ("APIKey", "api_key"),
    ],
)
def test_snake_case(name: str, snake: str) -> None:
    assert naming.snake_case(name) == snake


@pytest.mark.parametrize(
    ("word", "plural"),
    [
        ("task", "tasks"),
        ("category", "categories"),
        ("day", "days"),
        ("box", "boxes"),
        ("class", "classes"),
        ("church", "churches"),
        ("task_item", "task_items"),
    ],
)
def test_plural(word: str, plural: str) -> None:
    assert naming.plural(word) == plural


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("class", "is a Python keyword"),
        ("match", "is a Python keyword"),
        ("Title", "is not a plain lower-case identifier"),
        ("due_at__gte", "contains '__'"),
        ("model_config", "is reserved by SQLAlchemy or Pydantic"),
        ("metadata", "is reserved by SQLAlchemy or Pydantic"),
        ("a" * 64, "is longer than 63 characters"),
    ],
)
def test_refused_field_names(name: str, reason: str) -> None:
    problem = naming.field_name_problem(name)
    assert problem is not None
    assert reason in problem


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("task", "is not a PascalCase identifier"),
        ("Task_Item", "is not a PascalCase identifier"),
        ("None", "is a Python keyword"),
        ("Support", "would become module 'support'"),
        ("Base", "a name the generated code uses"),
        ("Mapped", "a name the generated code uses"),
        ("Exception", "is a Python built-in name"),
    ],
)
def test_refused_resource_names(name: str, reason: str) -> None:
    problem = naming.resource_name_problem(name)
    assert problem is not None
    assert reason in problem


def test_refused_table_names() -> None:
    assert "Alembic" in (naming.table_name_problem("alembic_version") or "")
    assert naming.table_name_problem("Tasks") is not None


@pytest.mark.parametrize("name", ["title", "due_at", "a1", "owner"])
def test_plain_field_names_pass(name: str) -> None:
    assert naming.field_name_problem(name) is None


def test_plain_names_pass() -> None:
    assert naming.resource_name_problem("TaskItem") is None
    assert naming.table_name_problem("task_items") is None

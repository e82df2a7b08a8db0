"""Read spec YAML into plain values that remember where each one was written.

PyYAML silently keeps the last of two duplicate keys and turns unquoted dates into `date`
objects; a spec language needs neither, so this loader refuses the first and keeps the second
as text. Every mapping and list remembers the position of each entry, so that later checks can
point at the exact line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from generator.problems import Problem


@dataclass(frozen=True)
class Position:
    """1-based line and column, as editors count them."""

    line: int
    column: int


class YamlMap(dict[Any, Any]):
    """A YAML mapping that knows where it, each key and each value were written."""

    position: Position
    key_positions: dict[Any, Position]
    value_positions: dict[Any, Position]


class YamlList(list[Any]):
    """A YAML sequence that knows where it and each item were written."""

    position: Position
    item_positions: list[Position]


def _position(node: Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


class _SpecLoader(yaml.SafeLoader):
    """SafeLoader that records positions, refuses duplicate keys and keeps timestamps as text."""

    def __init__(self, stream: str, *, file: str) -> None:
        super().__init__(stream)
        self.file = file
        self.problems: list[Problem] = []

    def construct_positioned_mapping(self, node: MappingNode) -> YamlMap:
        self.flatten_mapping(node)
        mapping = YamlMap()
        mapping.position = _position(node)
        mapping.key_positions = {}
        mapping.value_positions = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    "found a key that is not a plain scalar",
                    key_node.start_mark,
                )
            if key in mapping.key_positions:
                first = mapping.key_positions[key]
                here = _position(key_node)
                self.problems.append(
                    Problem(
                        self.file,
                        here.line,
                        here.column,
                        "",
                        f"duplicate key {key!r} (first defined at {first.line}:{first.column})",
                    )
                )
                continue
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_positions[key] = _position(key_node)
            mapping.value_positions[key] = _position(value_node)
        return mapping

    def construct_positioned_sequence(self, node: SequenceNode) -> YamlList:
        items = YamlList(self.construct_object(child, deep=True) for child in node.value)
        items.position = _position(node)
        items.item_positions = [_position(child) for child in node.value]
        return items


_SpecLoader.add_constructor(
    "tag:yaml.org,2002:map",
    _SpecLoader.construct_positioned_mapping,
)
_SpecLoader.add_constructor(
    "tag:yaml.org,2002:seq",
    _SpecLoader.construct_positioned_sequence,
)
# Dates and datetimes stay strings: the field's type, not YAML, decides how to read them.
_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class SpecDocument:
    """One spec file: the name it is reported under and its parsed content."""

    file: str
    content: Any
    source: str = ""
    """The name generated headers use, when it differs from `file` (the name in messages)."""


def load_document(
    text: str, *, file: str, source: str = ""
) -> tuple[SpecDocument | None, list[Problem]]:
    """Parse one spec file; YAML syntax errors and duplicate keys come back as problems."""
    loader = _SpecLoader(text, file=file)
    try:
        content = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        context, problem = error.context or "", error.problem or ""
        joiner = ", " if problem.startswith("but ") else ": "
        reason = joiner.join(part for part in (context, problem) if part) or "invalid YAML"
        return None, [Problem(file, line, column, "", f"YAML syntax error: {reason}")]
    except yaml.YAMLError as error:
        return None, [Problem(file, 1, 1, "", f"YAML error: {error}")]
    except RecursionError:
        return None, [Problem(file, 1, 1, "", "YAML nesting too deep to be a spec")]
    finally:
        loader.dispose()
    if loader.problems:
        return None, loader.problems
    return SpecDocument(file, content, source or file), []


def spec_files(spec_path: Path) -> list[Path]:
    """The spec files a `--spec` argument names: the file itself, or a folder's YAML files."""
    if spec_path.is_dir():
        return sorted(
            path
            for path in spec_path.iterdir()
            if path.suffix in {".yaml", ".yml"} and path.is_file() and not path.name.startswith(".")
        )
    return [spec_path]


@dataclass(frozen=True)
class Located:
    """Where the value at a path through loaded values was written, and the path as text."""

    value: Position
    """The value's position; for a missing key, where its mapping starts."""
    key: Position
    """Its key's position (a list item's or missing key's: as `value`)."""
    path: str
    """The mapping keys along the way, joined with dots (list indices left out)."""


def locate(content: Any, loc: tuple[Any, ...]) -> Located:
    """Follow `loc` (a Pydantic error's) through loaded values to the nearest written node."""
    node = content
    value = key = getattr(content, "position", Position(1, 1))
    names: list[str] = []
    missing = False
    for part in loc:
        if not missing and isinstance(node, YamlMap) and part in node.key_positions:
            key, value, node = node.key_positions[part], node.value_positions[part], node[part]
        elif not missing and isinstance(node, YamlList) and part in range(len(node)):
            key = value = node.item_positions[part]
            node = node[part]
            continue
        else:
            missing = True
            key = value = getattr(node, "position", value)
        names.append(str(part))
    return Located(value, key, ".".join(names))

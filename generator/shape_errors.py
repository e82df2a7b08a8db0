"""Pydantic's errors about a spec's shape, as problems placed at the line and column of their cause.

Each error's `loc` is followed through the loaded values (`load.locate`) to the node it is
about. The value types of `spec_schema` word their own messages; what Pydantic words itself
(a missing or unknown key, a mapping expected, a field type not known) is worded here.
`Checker` validates one node at a time this way, so the checks after it see only nodes whose
shape is right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard, TypeVar, get_args

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from generator.field_rules import FIELD_TYPES
from generator.load import SpecDocument, YamlMap, locate
from generator.problems import Problem, describe, did_you_mean
from generator.spec_schema import FIELD_SHAPES, Shape

Loc = tuple[Any, ...]


def _is_shape(value: Any) -> TypeGuard[type[Shape]]:
    return isinstance(value, type) and issubclass(value, Shape)


def _shape_at(root: type[Shape], loc: Loc) -> type[Shape]:
    """The model of the mapping at `loc` below `root` (nested models only, by key)."""
    shape = root
    for part in loc:
        fields = {field.alias or name: field for name, field in shape.model_fields.items()}
        inner = fields[part].annotation if part in fields else None
        # An optional mapping (`IdempotencyShape | None`) is the model it holds.
        inner = next((arg for arg in get_args(inner) if _is_shape(arg)), inner)
        if not _is_shape(inner):
            break
        shape = inner
    return shape


@dataclass(frozen=True)
class _Worded:
    message: str
    loc: Loc
    at_key: bool = False
    """Placed at the key rather than at its value."""
    path_loc: Loc | None = None
    """The key path shown, when it is not `loc`'s."""


def _worded(
    error: ErrorDetails, root: type[Shape] | None, raw: Any, typos: list[str]
) -> _Worded | None:
    """What to say about one error, and where; None when another error says it better."""
    kind, loc = error["type"], tuple(error["loc"])
    if root is None and not isinstance(raw, dict):
        return _Worded(f"expected a mapping, got {describe(raw)}", ())
    if root is None:  # a field: the member of the union its `type` names starts the loc
        if kind == "union_tag_not_found":
            return _Worded(
                f"missing required key 'type'; expected one of {', '.join(FIELD_TYPES)}",
                (),
                path_loc=("type",),
            )
        if kind == "union_tag_invalid":
            found = raw.get("type")
            hint = did_you_mean(found, FIELD_TYPES) if isinstance(found, str) else ""
            expected = f"expected one of {', '.join(FIELD_TYPES)}{hint}"
            return _Worded(f"unknown type {describe(found)}; {expected}", ("type",))
        root, loc = FIELD_SHAPES[str(loc[0])], loc[1:]
    if loc[-1:] == ("[key]",):  # a key of a dict that is not a good name
        return _Worded(error["msg"], loc[:-1], at_key=True)
    if kind == "extra_forbidden":
        return _Worded(_shape_at(root, loc[:-1]).unknown_key(str(loc[-1])), loc, at_key=True)
    if kind == "invalid_key":
        return _Worded(f"keys must be strings, got {describe(loc[-1])}", loc, True, loc[:-1])
    if kind == "missing":
        key = str(loc[-1])
        field = _shape_at(root, loc[:-1]).field_by_key(key)
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("typo_silences") and any(did_you_mean(typo, [key]) for typo in typos):
            return None
        hint = f" ({field.description})" if field.description else ""
        return _Worded(f"missing required key {key!r}{hint}", loc)
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _Worded(f"expected a mapping, got {describe(error['input'])}", loc)
    return _Worded(error["msg"], loc)


def shape_problems(
    error: ValidationError,
    *,
    content: Any,
    file: str,
    base: Loc,
    root: type[Shape] | None,
) -> tuple[list[Problem], list[Loc]]:
    """Problems for the errors of validating the value at `base` as `root`, and where each is.

    `root` None: the value is a field, validated as the member of `FIELD_SHAPES` its type names.
    """
    raw = content
    for part in base:
        raw = raw[part]
    errors = error.errors()
    typos = [str(e["loc"][-1]) for e in errors if e["type"] == "extra_forbidden"]
    # An entry whose key is not a good name is reported for that alone, not for its value.
    bad_names = [tuple(e["loc"][:-1]) for e in errors if e["loc"][-1:] == ("[key]",)]
    problems: list[Problem] = []
    failed: list[Loc] = []
    for found in errors:
        worded = _worded(found, root, raw, typos)
        loc = tuple(found["loc"])
        if worded is None or (
            loc[-1:] != ("[key]",) and any(loc[: len(n)] == n for n in bad_names)
        ):
            continue
        place = locate(content, base + worded.loc)
        at = place.key if worded.at_key else place.value
        path_loc = worded.path_loc if worded.path_loc is not None else worded.loc
        path = locate(content, base + path_loc).path
        problems.append(Problem(file, at.line, at.column, path, worded.message))
        failed.append(base + worded.loc)
    return problems, failed


T = TypeVar("T")


@dataclass
class Checker:
    """Checks one spec file a level at a time, collecting its problems."""

    document: SpecDocument
    problems: list[Problem] = field(default_factory=list)
    failed: list[Loc] = field(default_factory=list)
    """Where the shape was wrong: nothing at or below these is checked any further."""

    def report(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        place = locate(self.document.content, loc)
        at = place.key if at_key else place.value
        self.problems.append(Problem(self.document.file, at.line, at.column, place.path, message))

    def shape(self, validate: Callable[[Any], T], loc: Loc, root: type[Shape] | None) -> T | None:
        """The value at `loc` validated, or None with its shape problems reported."""
        value = self.document.content
        for part in loc:
            value = value[part]
        try:
            return validate(value)
        except ValidationError as error:
            problems, failed = shape_problems(
                error, content=self.document.content, file=self.document.file, base=loc, root=root
            )
            self.problems += problems
            self.failed += failed
            return None

    def entries(self, loc: Loc) -> Iterable[tuple[str, Any]]:
        """The entries of the mapping at `loc` whose own shape was right."""
        value = self.document.content
        for part in loc:
            value = value.get(part) if isinstance(value, YamlMap) else None
        for name, body in value.items() if isinstance(value, YamlMap) else ():
            here = (*loc, name)
            if not any(here[: len(bad)] == bad or bad[: len(here)] == here for bad in self.failed):
                yield name, body

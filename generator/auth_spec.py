"""The `auth` block of a spec: its defaults, its rules across keys, and across spec files.

Its shape (which keys, which values) is `spec_schema.AuthShape`'s; here go what a single value
cannot show: keys that only apply to bearer-jwt, an algorithm listed twice, and two spec files
that disagree about who the owner is (one app has one rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.load import Position, SpecDocument, locate
from generator.model import BearerAuth
from generator.problems import Problem
from generator.spec_schema import AuthShape

DEFAULT_OWNER_CLAIM = "sub"
DEFAULT_ALGORITHMS = ("EdDSA", "ES256", "RS256")
"""Better Auth's default (EdDSA) and the two other common asymmetric algorithms."""


@dataclass(frozen=True)
class FoundAuth:
    """One spec file's `auth`, as built, and where it was written."""

    auth: BearerAuth | None
    file: str
    where: Position


def document_auth(
    document: SpecDocument, shape: AuthShape | None
) -> tuple[FoundAuth | None, list[Problem]]:
    """The auth of one file whose shape is valid (None when it has no `auth` key)."""
    if shape is None:
        return None, []
    where = locate(document.content, ("auth",))
    problems: list[Problem] = []

    def problem(key: str, message: str) -> None:
        at = locate(document.content, ("auth", key)).key
        problems.append(Problem(document.file, at.line, at.column, f"auth.{key}", message))

    if shape.type == "none":
        for key in ("owner_claim", "algorithms"):
            if getattr(shape, key) is not None:
                problem(key, "applies only to type: bearer-jwt")
        return FoundAuth(None, document.file, where.value), problems
    algorithms = tuple(shape.algorithms or DEFAULT_ALGORITHMS)
    for index, algorithm in enumerate(algorithms):
        if algorithm in algorithms[:index]:
            at = locate(document.content, ("auth", "algorithms", index)).key
            message = f"{algorithm!r} is listed twice"
            problems.append(Problem(document.file, at.line, at.column, "auth.algorithms", message))
    auth = BearerAuth(shape.owner_claim or DEFAULT_OWNER_CLAIM, algorithms)
    return FoundAuth(auth, document.file, where.value), problems


def merged_auth(found: list[FoundAuth]) -> tuple[BearerAuth | None, list[Problem]]:
    """The spec's one auth rule: every file that has `auth` must say the same."""
    if not found:
        return None, []
    first = found[0]
    problems = [
        Problem(
            other.file,
            other.where.line,
            other.where.column,
            "auth",
            f"every spec file must use the same auth; {first.file} uses another",
        )
        for other in found[1:]
        if other.auth != first.auth
    ]
    return first.auth, problems

"""A problem in a spec, located like a compiler error so editors can jump to it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a spec: where it is, which key, and what was expected."""

    file: str
    line: int
    column: int
    key: str
    message: str

    def format(self) -> str:
        """`FILE:LINE:COLUMN: key.path: message`, the format editors and CI annotators parse."""
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class SpecError(Exception):
    """Raised by the pipeline when the spec has problems; carries all of them, sorted."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the spec")
        self.problems = sorted(problems)

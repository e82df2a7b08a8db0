"""A problem in a spec, located like a compiler error so editors can jump to it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


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


def describe(value: Any) -> str:
    """How a found value is quoted in messages, in YAML's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float | int):
        text = repr(value)
        return text if len(text) <= 40 else f"{text[:20]}...({len(text)} digits)"
    if isinstance(value, str):
        return repr(value)
    return f"a YAML {type(value).__name__}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest of `choices`, or nothing when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""

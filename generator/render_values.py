"""Spec values as Python source: the only way a value from a spec enters generated code."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

# Strings longer than this, made of one repeated character, are written as `"m" * 200`.
RUN_THRESHOLD = 24


def literal(value: Any) -> str:
    """A Python expression that evaluates to `value`."""
    if value is None or isinstance(value, bool | int | str | float):
        return repr(value)
    if isinstance(value, datetime.datetime):
        assert value.tzinfo is not None
        utc = value.astimezone(datetime.UTC)
        parts = [utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second]
        if utc.microsecond:
            parts.append(utc.microsecond)
        return f"datetime.datetime({', '.join(map(str, parts))}, tzinfo=datetime.UTC)"
    if isinstance(value, datetime.date):
        return f"datetime.date({value.year}, {value.month}, {value.day})"
    if isinstance(value, uuid.UUID):
        return f"UUID({str(value)!r})"
    if isinstance(value, tuple | list):
        inner = ", ".join(literal(item) for item in value)
        return (
            f"({inner},)"
            if isinstance(value, tuple) and len(value) == 1
            else (f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
        )
    raise TypeError(f"no literal form for {type(value).__name__}")


def text_literal(value: str | None, width: int = 72) -> str:
    """Like `literal`, but long text becomes implicitly concatenated lines that fit the page."""
    if value is None or len(repr(value)) <= width:
        return literal(value)
    pieces: list[str] = []
    current = ""
    for word in re.split(r"(?<=[ \n])", value):
        if current and len(repr(current + word)) > width:
            pieces.append(current)
            current = ""
        current += word
    if current:
        pieces.append(current)
    return "(\n" + "\n".join(literal(piece) for piece in pieces) + "\n)"


def code(value: Any) -> str:
    """Source for a JSON-like test value: dicts, lists, scalars; long runs stay short."""
    if isinstance(value, str) and len(value) > RUN_THRESHOLD:
        if len(set(value)) == 1:
            return f"{value[0]!r} * {len(value)}"
        head = value.rstrip(value[-1])
        run = len(value) - len(head)
        if run > RUN_THRESHOLD and len(head) <= RUN_THRESHOLD:
            return f"{literal(head)} + {value[-1]!r} * {run}"
        return text_literal(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {code(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(code(item) for item in value) + "]"
    return literal(value)

"""A value's Pydantic annotation as data, so that the generator writes and runs the same one.

`source()` is what a generated schemas module says; `live()` is that annotation built from the
objects the module imports (the runtime `support` module the generated app carries), which
the generator validates defaults and test values with. The two cannot disagree.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pydantic

from generator.render_values import literal
from generator.runtime import support

# The names a generated schemas module imports, as live objects: an annotation is written into
# generated code with these names and evaluated here with the same objects.
_NAMES: dict[str, Any] = {
    "StrictStr": pydantic.StrictStr,
    "StrictInt": pydantic.StrictInt,
    "StrictBool": pydantic.StrictBool,
    "StringConstraints": pydantic.StringConstraints,
    "Field": pydantic.Field,
    "float": float,
    "UUID": uuid.UUID,
    "DateText": support.DateText,
    "UTCDatetime": support.UTCDatetime,
    "StorableText": support.StorableText,
}


@dataclass(frozen=True)
class Annotation:
    """One value's Pydantic annotation as data, so that it is written and run alike."""

    base: str
    holder: str | None = None
    """`StringConstraints` or `Field`: where the keywords go."""
    keywords: tuple[tuple[str, Any], ...] = ()
    extra: tuple[str, ...] = ()
    """Further validators, after the constraints."""
    choices: tuple[str, ...] = ()
    """The strings of a `Literal` (`base` is then "Literal")."""

    def source(self) -> str:
        """The annotation as Python source for the generated schemas."""
        if self.choices:
            return f"Literal[{', '.join(literal(value) for value in self.choices)}]"
        if self.holder is None:
            return self.base
        keywords = ", ".join(f"{key}={literal(value)}" for key, value in self.keywords)
        return f"Annotated[{', '.join([self.base, f'{self.holder}({keywords})', *self.extra])}]"

    def live(self) -> Any:
        """The same annotation as an object Pydantic can validate with."""
        if self.choices:
            return Literal[self.choices]
        if self.holder is None:
            return _NAMES[self.base]
        holder = _NAMES[self.holder](**dict(self.keywords))
        return Annotated[(_NAMES[self.base], holder, *(_NAMES[name] for name in self.extra))]

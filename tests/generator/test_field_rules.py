"""Narrow checks of the field rules where a mistake would not show in a golden: float steps."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from generator.field_rules import Field, constraint_docs, validator
from generator.samples import samples


@pytest.mark.parametrize(
    ("step", "accepted", "refused"),
    [
        (0.25, [1.75, 0.5, -0.25, 3], [1.8, 0.1]),
        (0.1, [0.3, 0.7, 1.1, 0.1 * 3], [0.15, 0.05]),
    ],
)
def test_number_multiple_of_allows_for_binary_fractions(
    step: float, accepted: list[float], refused: list[float]
) -> None:
    check = validator(Field(name="price", type="number", multiple_of=step))
    for value in accepted:
        check.validate_python(value)
    for value in refused:
        with pytest.raises(ValidationError, match="multiple of"):
            check.validate_python(value)


def test_one_declaration_gives_the_annotation_and_the_docs() -> None:
    field = Field(name="packs", type="integer", minimum=0, maximum=100, multiple_of=5)
    assert field.rule.annotation(field).source() == (
        "Annotated[StrictInt, Field(ge=0, le=100, multiple_of=5)]"
    )
    assert constraint_docs(field) == ["minimum 0", "maximum 100", "multiple_of 5"]
    text = Field(name="title", type="string", max_length=9, min_length=1, strip=True)
    assert constraint_docs(text) == ["min_length 1", "max_length 9", "stripped"]


@pytest.mark.parametrize(
    ("minimum", "step"), [(None, 1.0e-320), (1.0e306, 1.0e-5), (1.0e300, 1.0e-5)]
)
def test_a_step_too_fine_for_floats_proposes_no_multiples(
    minimum: float | None, step: float
) -> None:
    """Such a spec is valid; the generator must not crash looking for sample multiples."""
    found = samples(Field(name="dose", type="number", minimum=minimum, multiple_of=step))
    assert found.ordered == ()

"""Hand-written modules that the generator copies, headed as generated, into its output.

They are real modules, so ruff and mypy check them like any other source: `support.py`
(which the generator also validates defaults and test values with, so they are checked by
the very code the generated app runs), `models_base.py` (the models' declarative base) and
`contract_helpers.py` (what every generated contract test shares). Nothing here may import
the generator: the copies run without it.
"""

from __future__ import annotations

from pathlib import Path


def copied(name: str, header: str) -> str:
    """The text of the generated copy of module `name`: the header, then the module as is."""
    return f"{header}\n{(Path(__file__).parent / name).read_text(encoding='utf-8')}"

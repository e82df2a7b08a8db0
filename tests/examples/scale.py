"""A 20-resource spec (six fields each, every type), and a timed run of its generated suite.

`make scale` (this module's `main`) generates the spec into a scratch copy of the project,
migrates it and runs every generated contract test on SQLite, printing how long they took and
the cost per test. The time is reported, never asserted: the machine may be shared. The spec
itself is checked by `test_scale_spec.py` in every run of the suite.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from tests.examples.project import pytest_summary, spec_project

RESOURCES = 20
FIELDS_PER_RESOURCE = 6
NAMES = (
    *("Album", "Book", "Camera", "Desk", "Engine", "Flower", "Guitar", "Harbor", "Island"),
    *("Jacket", "Kettle", "Lamp", "Mirror", "Notebook", "Orchard", "Piano", "Quilt", "Rocket"),
    *("Saddle", "Tunnel"),
)
FIELD_RULES = {
    "string": "{type: string, min_length: 1, max_length: 40, filterable: true, sortable: true}",
    "text": "{type: text, nullable: true, max_length: 500, strip: true}",
    "integer": "{type: integer, minimum: 0, maximum: 1000, default: 1, filterable: true, "
    "sortable: true}",
    "number": "{type: number, nullable: true, minimum: 0, maximum: 100, filterable: true, "
    "sortable: true}",
    "boolean": "{type: boolean, default: false, filterable: true}",
    "date": "{type: date, nullable: true, filterable: true, sortable: true}",
    "datetime": "{type: datetime, nullable: true, sortable: true}",
    "uuid": "{type: uuid, nullable: true, filterable: true}",
    "enum": "{type: enum, values: [low, mid, high], default: mid, filterable: true, "
    "sortable: true}",
}
"""One field of each type; resource i takes six of them, starting at type i."""


def scale_spec(resources: int = RESOURCES) -> str:
    """The spec's YAML: `resources` resources, each with six fields of distinct types."""
    if not 1 <= resources <= len(NAMES):
        raise ValueError(f"between 1 and {len(NAMES)} resources, not {resources}")
    types = list(FIELD_RULES)
    lines = ["version: 1", "api: {prefix: /api}", "resources:"]
    for index, name in enumerate(NAMES[:resources]):
        lines += [f"  {name}:", f"    path: /{{user_id}}/{name.lower()}s", "    fields:"]
        for offset in range(FIELDS_PER_RESOURCE):
            field_type = types[(index + offset) % len(types)]
            lines.append(f"      {field_type}_value: {FIELD_RULES[field_type]}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Generate, migrate and run the scale spec's contract suite on SQLite; print the timing."""
    parser = argparse.ArgumentParser(prog="make scale", description=main.__doc__)
    parser.add_argument("--resources", type=int, default=RESOURCES)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crudgen-scale-") as scratch:
        project, env = spec_project(
            Path(scratch), {"scale.yaml": scale_spec(arguments.resources)}, postgres_name=None
        )
        started = time.perf_counter()
        summary = pytest_summary(project, env, sys.executable, ["generated/tests"])
        elapsed = time.perf_counter() - started
    passed = int(summary.split(" passed")[0].split()[-1]) if " passed" in summary else 0
    print(f"{arguments.resources} resources: {summary}")
    if passed:
        print(f"wall time {elapsed:.1f} s, {1000 * elapsed / passed:.1f} ms per test")
    return 0 if passed and "failed" not in summary and "error" not in summary else 1


if __name__ == "__main__":
    sys.exit(main())

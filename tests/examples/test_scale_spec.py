"""The 20-resource spec of `make scale` stays valid and yields a contract suite per resource.

Its timed run is `make scale` (too slow for every test run); this keeps the spec itself honest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.examples.scale import FIELD_RULES, FIELDS_PER_RESOURCE, RESOURCES, scale_spec
from tests.fixtures import ROOT


def test_the_scale_spec_generates_a_contract_suite_for_each_resource(tmp_path: Path) -> None:
    spec = tmp_path / "scale.yaml"
    spec.write_text(scale_spec(), encoding="utf-8")
    out = tmp_path / "generated"
    result = subprocess.run(
        [sys.executable, "-m", "generator", "--spec", str(spec), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(list((out / "tests").glob("test_*_contract.py"))) == RESOURCES
    used_types = {line.split("_value:")[0].strip() for line in spec.read_text().splitlines()}
    assert set(FIELD_RULES) <= used_types
    assert spec.read_text().count("_value:") == RESOURCES * FIELDS_PER_RESOURCE

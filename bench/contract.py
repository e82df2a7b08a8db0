"""Before measuring: both apps must answer one walk through the contract alike, or the
comparison would be between two different things."""

from __future__ import annotations

import json
from typing import Any

from bench.config import BASELINE, GENERATED, BenchError, Config
from bench.servers import App, http_request

SERVER_MANAGED = ("id", "created_at", "updated_at")
GENERATED_ONLY = ("next_cursor",)
"""Keys the baseline lacks: it serves the contract of offset pages, without cursor pages."""


def _comparable(value: Any) -> Any:
    """A response body without the values that differ between two fresh rows."""
    if isinstance(value, dict):
        left_out = (*SERVER_MANAGED, *GENERATED_ONLY)
        return {k: _comparable(v) for k, v in value.items() if k not in left_out}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def contract_probe(app: App, owner: str, seeded_owner: str, seeded_id: int) -> list[Any]:
    """A short walk through the contract; the transcript is compared between the two apps."""
    base = f"{app.url}/api/{owner}/tasks"
    transcript: list[Any] = []

    def call(method: str, url: str, body: Any = None) -> tuple[int, dict[str, str], Any]:
        status, headers, payload = http_request(method, url, body)
        transcript.append([method, url.removeprefix(app.url), status, payload])
        return status, headers, payload

    seeded = f"{app.url}/api/{seeded_owner}/tasks"
    call("GET", f"{seeded}?limit=5")
    call("GET", f"{seeded}?completed=true&sort=title&offset=3&limit=4")
    call("GET", f"{seeded}/{seeded_id}")
    call("GET", f"{app.url}/api/other-owner/tasks/{seeded_id}")
    call("GET", f"{seeded}?limit=101")
    status, headers, created = call("POST", base, {"title": "  probe  ", "description": "d"})
    location = {k.lower(): v for k, v in headers.items()}.get("location", "")
    if status != 201 or not isinstance(created, dict):
        raise BenchError(f"{app.label}: POST answered {status}: {created}")
    if location != f"/api/{owner}/tasks/{created['id']}":
        raise BenchError(f"{app.label}: POST Location {location!r} does not name the new row")
    item = f"{base}/{created['id']}"
    call("PUT", item, {"title": "replaced"})
    call("PATCH", item, {"description": "patched"})
    call("PATCH", f"{item}/complete")
    call("PATCH", f"{item}/complete", {"completed": False})
    call("GET", f"{app.url}/api/other-owner/tasks/{created['id']}")
    call("DELETE", item)
    call("GET", item)
    call("GET", base)
    return [
        [method, path.replace(str(created["id"]), "<id>"), status, _comparable(payload)]
        for method, path, status, payload in transcript
    ]


def check_same_contract(generated: App, baseline: App, config: Config) -> int:
    """Both apps answer the same walk through the contract alike; the number of requests."""
    seeded_owner, seeded_id = "u00001", 1 * config.owners + 1 + 1  # task 1 of owner 1
    gen = contract_probe(generated, "probe-generated", seeded_owner, seeded_id)
    base = contract_probe(baseline, "probe-baseline", seeded_owner, seeded_id)
    expected_statuses = [200, 200, 200, 404, 422, 201, 200, 200, 200, 200, 404, 204, 404, 200]
    for label, transcript in ((GENERATED, gen), (BASELINE, base)):
        statuses = [step[2] for step in transcript]
        if statuses != expected_statuses:
            raise BenchError(
                f"{label}: contract probe statuses {statuses}, expected {expected_statuses}"
            )
    for step_gen, step_base in zip(gen, base, strict=True):
        step_base = json.loads(json.dumps(step_base).replace("probe-baseline", "probe-generated"))
        if step_gen[2] >= 400:  # errors: same status and code; the wording may differ
            same = step_gen[2] == step_base[2] and _error_code(step_gen[3]) == _error_code(
                step_base[3]
            )
        else:
            same = step_gen == step_base
        if not same:
            raise BenchError(
                "the two apps answer differently:\n"
                f"  generated: {json.dumps(step_gen)[:600]}\n"
                f"  baseline:  {json.dumps(step_base)[:600]}"
            )
    return len(gen)


def _error_code(payload: Any) -> Any:
    return payload.get("error", {}).get("code") if isinstance(payload, dict) else payload

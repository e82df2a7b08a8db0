"""The scenarios `make bench` runs: their names, what each sends, which statuses are success.

Each name is also the Lua script wrk runs (`bench/lua/<name>.lua`).
"""

from __future__ import annotations

SCENARIOS = ("list", "get", "create", "update", "complete", "mixed")
SCALE_SCENARIOS = ("list", "get")
EXTRA_SCENARIOS = ("get", "mixed")
"""Run again with WORKERS=N and with the asyncio/h11 server stack."""
FLOOR_SCENARIOS = ("list", "get")
"""Served by the floor apps of the decomposition (bench/floor)."""
WRITE_SCENARIOS = frozenset({"create", "update", "complete", "mixed"})
EXPECTED_STATUSES: dict[str, frozenset[int]] = {
    "list": frozenset({200}),
    "get": frozenset({200}),
    "create": frozenset({201}),
    "update": frozenset({200}),
    "complete": frozenset({200}),
    "mixed": frozenset({200, 201}),
    # The deep-page scenarios of bench/deep.py, run on the generated app alone.
    "deep_offset": frozenset({200}),
    "deep_cursor": frozenset({200}),
    "deep_offset_nocount": frozenset({200}),
    "deep_cursor_nocount": frozenset({200}),
}
SCENARIO_HELP = {
    "list": "GET first page (20) of a random owner",
    "get": "GET a random owner's random task",
    "create": "POST a task for a random owner",
    "update": "PUT a random task (full replace)",
    "complete": "PATCH /complete, no body (toggle)",
    "mixed": "40% list, 40% get, 5% create, 10% PUT, 5% complete",
    "deep_offset": "GET the deep page by offset, with the total",
    "deep_cursor": "GET the deep page by cursor, with the total",
    "deep_offset_nocount": "GET the deep page by offset, count=false",
    "deep_cursor_nocount": "GET the deep page by cursor, count=false",
}

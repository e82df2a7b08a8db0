"""Fuzzing: no generated input, valid or not, gives a 5xx or an answer outside the schema.

Schemathesis generates requests from the served `/openapi.json`, valid and invalid, for every
operation, and checks each answer against the schema (status, content type, body, headers) and
that invalid data is refused. The hand-picked hostile inputs are in `test_hostile_inputs.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, cast

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import Case, CheckFunction, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.python import asgi
from schemathesis.schemas import APIOperation, BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.task_api import (
    collection,
)

# --- schemathesis over /openapi.json ------------------------------------------------------

EXAMPLES_PER_OPERATION = 50
"""Per operation, per generation mode (valid, invalid), per owner kind; one request each."""

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

CHECKS: list[CheckFunction] = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS: list[CheckFunction] = [*CHECKS, negative_data_rejection]

SEEDED_ROWS = 4

Operation = APIOperation[Any, Any, Any, Any]
AnyCase = Case[Any]


@pytest.fixture
def api_schema(own_app: FastAPI) -> Iterator[BaseSchema]:
    """The served schema, whose cases call `app` in process (schemathesis's own event loop)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", own_app)
    try:
        yield schema
    finally:
        # The app's lifespan ran on schemathesis's loop: end it there, which disposes the engine.
        asgi.shutdown_lifespans()


def _has_inputs(operation: Operation) -> bool:
    containers = (operation.path_parameters, operation.query, operation.headers, operation.body)
    return any(len(container) for container in containers)


def _seed(app: FastAPI, owner: str) -> list[int]:
    """A few rows of `owner`, created through the same in-process client the cases use."""
    ids: list[int] = []
    with asgi.get_client(cast("asgi.ASGIApp", app)) as session:
        for number in range(SEEDED_ROWS):
            response = session.post(
                collection(owner),
                json={"title": f"seed {number}", "description": "x" * number},
            )
            assert response.status_code == 201, response.text
            ids.append(int(response.json()["id"]))
    return ids


def _strategies(
    app: FastAPI, operation: Operation, mode: GenerationMode
) -> list[tuple[str, st.SearchStrategy[AnyCase]]]:
    """Generated owners and ids; and, for the API, a real owner and their real rows."""
    strategies = [("generated owner and id", operation.as_strategy(generation_mode=mode))]
    path_names = {parameter.name for parameter in operation.path_parameters}
    if mode is GenerationMode.POSITIVE and "user_id" in path_names:
        owner = f"fuzz-{uuid.uuid4().hex[:12]}"
        ids = _seed(app, owner)
        if "id" in path_names:
            seeded = st.one_of(
                *(
                    operation.as_strategy(
                        generation_mode=mode, path_parameters={"user_id": owner, "id": row_id}
                    )
                    for row_id in ids
                )
            )
        else:
            seeded = operation.as_strategy(generation_mode=mode, path_parameters={"user_id": owner})
        strategies.append(("a real owner and their rows", seeded))
    return strategies


def _run_cases(strategy: st.SearchStrategy[AnyCase], checks: list[CheckFunction]) -> None:
    @hypothesis.given(case=strategy)
    @FUZZ_SETTINGS
    def run(case: AnyCase) -> None:
        case.call_and_validate(checks=checks)

    run()


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    own_app: FastAPI, api_schema: BaseSchema
) -> None:
    operations: list[Operation] = []
    for result in api_schema.get_all_operations():
        if not isinstance(result, Ok):
            pytest.fail(f"the served schema has an invalid operation: {result.err()}")
        operations.append(result.ok())
    labels = {operation.label for operation in operations}
    assert {"POST /api/{user_id}/tasks", "PATCH /api/{user_id}/tasks/{id}/complete"} <= labels
    failures: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
                continue  # nothing to make invalid
            checks = NEGATIVE_CHECKS if mode is GenerationMode.NEGATIVE else CHECKS
            for name, strategy in _strategies(own_app, operation, mode):
                try:
                    _run_cases(strategy, checks)
                except Exception as error:  # one report for every operation that fails
                    failures.append(f"{operation.label} [{mode.value}, {name}]:\n{error}")
    assert not failures, "\n\n".join(failures)

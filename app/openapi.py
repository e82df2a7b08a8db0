"""The served OpenAPI document, finished so that client generators take it as it is.

FastAPI builds the document from the routes; two things it cannot know are added here, once,
when the document is first asked for:
- the errors the app's own layers answer on every operation, in the envelope: 500 and 503 from
  the error handlers, and 413 and 415 wherever a body is read (the routes document their own
  404, 409 and 422);
- an optional body (the Task extension's `/complete`) is an absent body, not a JSON `null`.
  FastAPI describes `Model | None = None` as `anyOf: [Model, null]`, which generators such as
  openapi-python-client turn into a three-state argument they cannot send when it is left out;
  `required: false` with the model's schema is what they read as "may be omitted".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorBody"}
EVERY_OPERATION: dict[str, str] = {
    "500": "An unexpected failure; the body never carries a stack trace or SQL",
    "503": "The database cannot be reached; retry later",
}
WITH_A_BODY: dict[str, str] = {
    "413": "The body is over the size limit",
    "415": "The body is not declared as JSON",
}
_NULL = {"type": "null"}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


def _omit_null_body(body: dict[str, Any]) -> None:
    """`anyOf: [X, null]` of a body that is not required becomes `X`: omitting it is the null."""
    if body.get("required"):
        return
    for media in body.get("content", {}).values():
        schema = media.get("schema", {})
        choices = schema.get("anyOf")
        if isinstance(choices, list) and len(choices) == 2 and _NULL in choices:
            (media["schema"],) = (choice for choice in choices if choice != _NULL)
    body["required"] = False


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """Complete every operation of `document` in place (see the module's docstring)."""
    for path_item in document.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            documented = dict(EVERY_OPERATION)
            if "requestBody" in operation:
                _omit_null_body(operation["requestBody"])
                documented.update(WITH_A_BODY)
            for status, description in documented.items():
                responses.setdefault(status, _error_response(description))
            operation["responses"] = dict(sorted(responses.items()))
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve `finish_document` of FastAPI's own document at `/openapi.json` (built once)."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = finish_document(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

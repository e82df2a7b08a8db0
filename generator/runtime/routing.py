"""`DirectRoute`: FastAPI's route, with its parameters solved from a plan made once.

FastAPI 0.165 works out per request, for every parameter, what kind of parameter it is
(a model? a sequence? which aliases?) before validating it: for a list route's seven query
parameters that was about 50 us, more than the SQL statement's own share of the app's CPU
(docs/decisions.md). The generated routes take plain parameters: path, query and header
values, the `Request`, and at most one JSON body model. For such a route `DirectRoute`
resolves each parameter's source and validator when the route is built, and per request
only looks the values up and validates them with the same validators FastAPI would use.

It never answers an invalid request itself: a value that fails validation, a body that is
not JSON (or not declared as JSON), or anything unusual sends the request through FastAPI's
own handler, which validates it again and answers its 422 (or 400) exactly as before. A
route whose parameters are not all plain (a dependency, a cookie, a form, a list value),
and every request while FastAPI's OpenTelemetry is recording, use FastAPI's handler only.
The endpoint must answer with a `Response` (the generated ones do), as FastAPI returns those
untouched.
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response, params
from fastapi.dependencies.utils import get_validation_alias
from fastapi.routing import APIRoute
from fastapi.telemetry._api import get_telemetry_data
from pydantic import BaseModel, Json

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_IMMUTABLE_DEFAULTS = (type(None), bool, int, float, str, bytes)


@dataclass(frozen=True)
class _Parameter:
    """One path, query or header parameter: where its value is and how it is checked."""

    name: str
    key: str
    required: bool
    default: Any
    validate: Callable[..., Any]

    def value(self, raw: str | None) -> Any:
        """The parameter's value; raises (`ValidationError`, `_Missing`) if FastAPI would refuse."""
        if raw is None:
            if self.required:
                raise _Missing
            default = self.default
            return default if isinstance(default, _IMMUTABLE_DEFAULTS) else copy.deepcopy(default)
        return self.validate(raw, from_attributes=True)


class _Missing(Exception):
    """A required parameter is absent: FastAPI's handler answers for it."""


@dataclass(frozen=True)
class _Plan:
    path: tuple[_Parameter, ...]
    query: tuple[_Parameter, ...]
    header: tuple[_Parameter, ...]
    request_name: str | None
    body_name: str | None
    body_validate: Callable[..., Any] | None


def _parameter(field: Any, *, header: bool = False) -> _Parameter | None:
    info = field.field_info
    if not isinstance(info.validation_alias, str | None) or field.config:
        return None  # AliasChoices and AliasPath: FastAPI's own lookup
    if info.validate_default or info.default_factory is not None:
        return None
    if any(type(item) is Json for item in info.metadata):
        return None
    annotation = info.annotation
    origin = getattr(annotation, "__origin__", None)
    if origin in (list, set, tuple, frozenset) or annotation in (list, set, tuple, frozenset):
        return None
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return None
    key = get_validation_alias(field)
    if header and getattr(info, "convert_underscores", False) and key == field.name:
        key = key.replace("_", "-")
    required = info.is_required()
    return _Parameter(
        name=field.name,
        key=key,
        required=required,
        default=None if required else field.default,
        validate=field._type_adapter.validate_python,
    )


def _plan(route: APIRoute) -> _Plan | None:
    """The route's parameters, resolved; None when any is not a plain one."""
    dependant = route.dependant
    if (
        dependant.dependencies
        or dependant.cookie_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or not inspect.iscoroutinefunction(dependant.call)
        or len(dependant.body_params) > 1
        or route._embed_body_fields
    ):
        return None
    groups: list[tuple[_Parameter, ...]] = []
    for fields, in_headers in (
        (dependant.path_params, False),
        (dependant.query_params, False),
        (dependant.header_params, True),
    ):
        found = [_parameter(field, header=in_headers) for field in fields]
        if any(parameter is None for parameter in found):
            return None
        groups.append(tuple(parameter for parameter in found if parameter is not None))
    body_name = body_validate = None
    if dependant.body_params:
        body = dependant.body_params[0]
        if isinstance(body.field_info, params.Form) or not body.field_info.is_required():
            return None
        body_name, body_validate = body.name, body._type_adapter.validate_python
    path, query, headers = groups
    return _Plan(path, query, headers, dependant.request_param_name, body_name, body_validate)


def _is_json(content_type: str | None) -> bool:
    if content_type is None:
        return False
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json"


class DirectRoute(APIRoute):
    """An `APIRoute` whose valid requests skip FastAPI's per-request parameter analysis."""

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        plan = _plan(self)
        call = self.dependant.call
        if plan is None or call is None:
            return standard

        async def handler(request: Request) -> Response:
            if get_telemetry_data() is not None:
                return await standard(request)
            values: dict[str, Any] = {}
            try:
                if plan.path:
                    path_params = request.path_params
                    for parameter in plan.path:
                        values[parameter.name] = parameter.value(path_params.get(parameter.key))
                if plan.query:
                    query = request.query_params
                    for parameter in plan.query:
                        values[parameter.name] = parameter.value(query.get(parameter.key))
                if plan.header:
                    headers = request.headers
                    for parameter in plan.header:
                        values[parameter.name] = parameter.value(headers.get(parameter.key))
                if plan.body_name is not None:
                    assert plan.body_validate is not None
                    if not _is_json(request.headers.get("content-type")):
                        return await standard(request)
                    body = await request.body()
                    if not body:
                        return await standard(request)
                    values[plan.body_name] = plan.body_validate(
                        json.loads(body), from_attributes=True
                    )
            except Exception:  # invalid (or too deep) input: FastAPI's handler answers for it
                return await standard(request)
            if plan.request_name is not None:
                values[plan.request_name] = request
            response = await call(**values)
            if not isinstance(response, Response):
                raise TypeError(f"{call.__name__} must answer with a Response")
            return response

        return handler


__all__ = ["DirectRoute"]

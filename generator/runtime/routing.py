"""`DirectRoute`: FastAPI's route, with its parameters solved from a plan made once.

FastAPI 0.165 works out per request, for every parameter, what kind of parameter it is
(a model? a sequence? which aliases?) before validating it: for a list route's seven query
parameters that was about 50 us, more than the SQL statement's own share of the app's CPU
(docs/decisions.md). The generated routes take plain parameters: path, query and header
values, the `Request`, plain async dependencies (`If-Match`) and at most one JSON body model.
For such a route `DirectRoute` resolves each parameter's source and validator when the route
is built, and per request only looks the values up and validates them with the same
validators FastAPI would use, dependencies first, as FastAPI does.

It never answers an invalid request itself: a value that fails validation, a body that is
not JSON (or not declared as JSON), or anything unusual sends the request through FastAPI's
own handler, which validates it again and answers its 422 (or 400) exactly as before; so a
dependency may run twice for a request FastAPI refuses, and must have no side effects (the
generated ones only read headers). An error a dependency raises itself propagates as in
FastAPI. A route with anything else (a `def` or generator dependency, a security scheme, a
cookie, a form, a list value), and every request while FastAPI's OpenTelemetry is recording,
use FastAPI's handler only. The endpoint must answer with a `Response` (the generated ones
do), as FastAPI returns those untouched.
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


def _default_of(field: Any) -> Callable[[], Any] | None:
    """What an absent value becomes, as FastAPI makes it (a deep copy of the default, which
    an immutable one needs not); None for a required value, whose absence FastAPI refuses."""
    if field.field_info.is_required():
        return None
    default = field.default
    if isinstance(default, _IMMUTABLE_DEFAULTS):
        return lambda: default
    return lambda: copy.deepcopy(default)


@dataclass(frozen=True)
class _Parameter:
    """One path, query or header parameter: where its value is and how it is checked."""

    name: str
    key: str
    default: Callable[[], Any] | None
    validate: Callable[..., Any]

    def value(self, raw: str | None) -> Any:
        """The parameter's value; raises (`ValidationError`, `_Invalid`) if FastAPI would refuse."""
        if raw is None:
            if self.default is None:
                raise _Invalid
            return self.default()
        return self.validate(raw, from_attributes=True)


@dataclass(frozen=True)
class _Plan:
    """A function with plain parameters, resolved: the endpoint, or a dependency of it."""

    call: Callable[..., Coroutine[Any, Any, Any]]
    dependencies: tuple[tuple[str, _Plan], ...]
    path: tuple[_Parameter, ...]
    query: tuple[_Parameter, ...]
    header: tuple[_Parameter, ...]
    request_name: str | None
    body: _Body | None


@dataclass(frozen=True)
class _Body:
    name: str
    default: Callable[[], Any] | None
    validate: Callable[..., Any]


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
    return _Parameter(field.name, key, _default_of(field), field._type_adapter.validate_python)


def _plan_of(dependant: Any, *, seen: set[Any]) -> _Plan | None:
    """The plan of one function and its dependencies; None when anything is not plain.

    Plain dependencies are async functions (not generators, classes or security schemes)
    with plain parameters, each used once in the route: the fast path calls them in FastAPI's
    order (dependencies first, then the function's own parameters).
    """
    call = dependant.call
    if (
        not inspect.iscoroutinefunction(call)
        or call in seen
        or dependant.cookie_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        or dependant.own_oauth_scopes
        or dependant.parent_oauth_scopes
        or len(dependant.body_params) > 1
    ):
        return None
    seen.add(call)
    dependencies = []
    for sub in dependant.dependencies:
        if sub.name is None or not inspect.isfunction(sub.call) or sub.body_params:
            return None
        planned = _plan_of(sub, seen=seen)
        if planned is None:
            return None
        dependencies.append((sub.name, planned))
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
    body = None
    if dependant.body_params:
        field = dependant.body_params[0]
        info = field.field_info
        if isinstance(info, params.Form) or info.validate_default or info.default_factory:
            return None
        body = _Body(field.name, _default_of(field), field._type_adapter.validate_python)
    path, query, headers = groups
    return _Plan(
        call, tuple(dependencies), path, query, headers, dependant.request_param_name, body
    )


def _plan(route: APIRoute) -> _Plan | None:
    """The route's plan; None when FastAPI's own handler must serve it."""
    if route._embed_body_fields:
        return None
    return _plan_of(route.dependant, seen=set())


class _Invalid(Exception):
    """A value FastAPI would refuse: its handler answers the request."""


async def _values(plan: _Plan, request: Request) -> dict[str, Any]:
    """The arguments of `plan.call`; `_Invalid` for a request FastAPI's handler must answer.

    A dependency's own errors (an `HTTPException`, say) propagate as they would in FastAPI.
    """
    values: dict[str, Any] = {}
    for name, dependency in plan.dependencies:
        values[name] = await dependency.call(**await _values(dependency, request))
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
        if plan.body is not None:
            values[plan.body.name] = await _body(plan.body, request)
    except _Invalid:
        raise
    except Exception as error:  # a value, or a body too deep to parse, FastAPI would refuse
        raise _Invalid from error
    if plan.request_name is not None:
        values[plan.request_name] = request
    return values


async def _body(body: _Body, request: Request) -> Any:
    raw = await request.body()
    if not raw:
        if body.default is None:
            raise _Invalid
        return body.default()
    if not _is_json(request.headers.get("content-type")):
        raise _Invalid
    return body.validate(json.loads(raw), from_attributes=True)


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
        if plan is None:
            return standard

        async def handler(request: Request) -> Response:
            if get_telemetry_data() is not None:
                return await standard(request)
            try:
                values = await _values(plan, request)
            except _Invalid:
                return await standard(request)
            response = await plan.call(**values)
            if not isinstance(response, Response):
                raise TypeError(f"{plan.call.__name__} must answer with a Response")
            return response

        return handler


__all__ = ["DirectRoute"]

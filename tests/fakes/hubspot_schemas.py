"""The fake HubSpot checked against HubSpot's published schemas, so it cannot drift from them.

hubspot-api-client (HubSpot's own client, Apache-2.0, generated from its OpenAPI specs) ships
each endpoint's request and response models. `ENDPOINTS` names them per method and path; the
fake passes every request body and every answer it gives through `Checker`, which deserialises
the JSON into the model with the package's own ApiClient (client-side validation on: required
fields, enums, date-times) and walks it for what that deserialiser lets through: keys the model
does not list and values of the wrong JSON type. A bad request is the client's fault (the fake
answers 400, as HubSpot would); a bad answer is the fake's drift, recorded in `Checker.drift`
and in every open `watch()` (the test suite fails a test whose fake drifted).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from tests.fakes import hubspot_shapes as shapes

# The package of each object type's models; `{type}` in a path picks one.
PACKAGES = {
    "contacts": "hubspot.crm.contacts",
    "companies": "hubspot.crm.companies",
    "deals": "hubspot.crm.deals",
    "notes": "hubspot.crm.objects.notes",
    "meetings": "hubspot.crm.objects.meetings",
}
OWNERS, ASSOCIATIONS, OBJECTS = (
    "hubspot.crm.owners",
    "hubspot.crm.associations.v4",
    "hubspot.crm.objects",
)


@dataclass(frozen=True)
class Endpoint:
    """`path`: `{type}` is an object type (name or id), `{id}` any segment. `request`: the body's
    model (None: no body); `responses`: the model of each success status (errors: `Error`).
    `package`: where the models are (None: the package of the path's object type)."""

    method: str
    path: str
    request: str | None
    responses: dict[int, str]
    package: str | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", lambda m: f"(?P<{m[1]}>[^/]+)", self.path)
        object.__setattr__(self, "pattern", re.compile(regex))


_SEARCH = "CollectionResponseWithTotalSimplePublicObjectForwardPaging"
_LIST = "CollectionResponseSimplePublicObjectWithAssociationsForwardPaging"
_BATCH = "BatchResponseSimplePublicObject"
_V4_LIST = "CollectionResponseMultiAssociatedObjectWithLabelForwardPaging"
_V4_BATCH = "BatchResponsePublicAssociationMultiWithLabel"
# One line an endpoint; the first that matches method and path is the one.
# fmt: off
ENDPOINTS = (
    Endpoint("POST", "/crm/v3/objects/{type}/search", "PublicObjectSearchRequest", {200: _SEARCH}),
    Endpoint("POST", "/crm/v3/objects/{type}/batch/read", "BatchReadInputSimplePublicObjectId", {200: _BATCH, 207: f"{_BATCH}WithErrors"}),
    Endpoint("POST", "/crm/v3/objects/{type}", "SimplePublicObjectInputForCreate", {201: "SimplePublicObject"}),
    Endpoint("PATCH", "/crm/v3/objects/{type}/{id}", "SimplePublicObjectInput", {200: "SimplePublicObject"}),
    Endpoint("GET", "/crm/v3/objects/{type}/{id}", None, {200: "SimplePublicObjectWithAssociations"}),
    Endpoint("GET", "/crm/v3/objects/{type}", None, {200: _LIST}),
    Endpoint("GET", "/crm/v3/owners", None, {200: "CollectionResponsePublicOwnerForwardPaging"}, OWNERS),
    Endpoint("GET", "/crm/v4/objects/{type}/{id}/associations/{to}", None, {200: _V4_LIST}, ASSOCIATIONS),
    Endpoint("POST", "/crm/v4/associations/{type}/{to}/batch/read", "BatchInputPublicFetchAssociationsBatchRequest", {200: _V4_BATCH, 207: f"{_V4_BATCH}WithErrors"}, ASSOCIATIONS),
)
# fmt: on
# Where HubSpot's documented behaviour is wider than its models: (model, JSON key) -> the type
# the check uses instead. Search sorts are documented as {propertyName, direction} objects (the
# model says strings); error bodies carry "status": "error", and a 429's errorType and policyName
# (HubSpot's usage guidelines).
AMENDMENTS = {
    ("PublicObjectSearchRequest", "sorts"): "list[object]",
    ("Error", "status"): "str",
    ("Error", "errorType"): "str",
    ("Error", "policyName"): "str",
}
_PRIMITIVES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
}

_watches: list[list[str]] = []


@contextmanager
def watch() -> Iterator[list[str]]:
    """While open, every fake made checks its bodies, and its drift lands in the yielded list."""
    drift: list[str] = []
    _watches.append(drift)
    try:
        yield drift
    finally:
        _watches.remove(drift)


def watching() -> bool:
    return bool(_watches)


@cache
def _client(package: str) -> Any:
    """The package's ApiClient, validating; date-times parsed by the standard library (the
    generated client's dateutil is most of the time a check takes)."""
    module = importlib.import_module(package)
    configuration = module.Configuration()
    configuration.client_side_validation = True
    faster = type("ApiClient", (module.ApiClient,), {"_ApiClient__deserialize_datetime": _time})
    return faster(configuration)


def _time(_client: Any, text: str) -> datetime | str:
    """The walk reports a date-time that is not ISO-8601."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return text


def _models(package: str) -> Any:
    return importlib.import_module(f"{package}.models")


def _inner(kind: str) -> str:
    return kind[kind.index("[") + 1 : -1].split(", ")[-1]


def _walk(models: Any, value: Any, kind: str, where: str) -> Iterator[str]:
    """The problems ApiClient's deserialiser lets through: unknown keys, wrong JSON types."""
    if value is None or kind == "object":
        return  # a missing required value is the deserialiser's to find
    if kind.startswith("list["):
        if not isinstance(value, list):
            yield f"{where}: {value!r} is not a list"
            return
        for i, item in enumerate(value):
            yield from _walk(models, item, _inner(kind), f"{where}[{i}]")
    elif kind.startswith("dict["):
        if not isinstance(value, dict):
            yield f"{where}: {value!r} is not an object"
            return
        for key, item in value.items():
            yield from _walk(models, item, _inner(kind), f"{where}.{key}")
    elif kind in _PRIMITIVES:
        wanted = _PRIMITIVES[kind]
        if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
            yield f"{where}: {value!r} is {type(value).__name__}, not {kind}"
    elif kind in ("datetime", "date"):
        if not isinstance(value, str) or not isinstance(_time(None, value), datetime):
            yield f"{where}: {value!r} is not an ISO-8601 {kind}"
    else:
        yield from _walk_model(models, value, kind, where)


def _walk_model(models: Any, value: Any, name: str, where: str) -> Iterator[str]:
    model = getattr(models, name)
    if not isinstance(value, dict):
        yield f"{where}: {value!r} is not a {name}"
        return
    types = {model.attribute_map[a]: t for a, t in model.openapi_types.items()}
    types |= {key: t for (m, key), t in AMENDMENTS.items() if m == name}
    if unknown := sorted(set(value) - set(types)):
        what = where if where == name else f"{where} ({name})"
        yield f"{what} has no {', '.join(unknown)}"
    for key, kind in types.items():
        if key in value:
            yield from _walk(models, value[key], kind, f"{where}.{key}")


def problems(package: str, name: str, body: Any) -> list[str]:
    """What is wrong with `body` as HubSpot's model `name` of `package`."""
    if body is None:
        return [f"{name}: no body"]
    found = list(_walk(_models(package), body, name, name))
    try:
        _client(package).deserialize(SimpleNamespace(data=json.dumps(body)), name)
    except Exception as error:  # the generated code raises ValueError, ApiException, ...
        found.append(f"{name}: {error}")
    return found


def endpoint(method: str, path: str) -> tuple[Endpoint, str] | None:
    """The endpoint a request is for, and the package of its models."""
    for candidate in ENDPOINTS:
        if candidate.method == method and (found := candidate.pattern.fullmatch(path)):
            if candidate.package is not None:
                return candidate, candidate.package
            kind = shapes.OBJECT_TYPE_IDS.get(found["type"], found["type"])
            return (candidate, PACKAGES[kind]) if kind in PACKAGES else None
    return None


class Checker:
    """Checks the bodies of one fake; `enabled` unless told, while a `watch()` is open."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = watching() if enabled is None else enabled
        self.drift: list[str] = []

    def request(self, method: str, path: str, body: Any) -> None:
        """Raises `shapes.Invalid` when the body is not the endpoint's request model."""
        if not self.enabled or (found := endpoint(method, path)) is None:
            return
        point, package = found
        if point.request is not None and (wrong := problems(package, point.request, body)):
            raise shapes.Invalid(f"{method} {path}: " + "; ".join(wrong))

    def response(self, method: str, path: str, status: int, body: Any) -> None:
        """Records drift when the answer is not the endpoint's model for its status."""
        if not self.enabled:
            return
        point, package = endpoint(method, path) or (None, OBJECTS)
        name = "Error" if status >= 400 else point.responses.get(status) if point else None
        if name is None:
            wrong = [f"status {status} is not among the answers HubSpot's specs list"]
        else:
            wrong = problems(package, name, body)
        for problem in wrong:
            line = f"{method} {path} {status}: {problem}"
            self.drift.append(line)
            for drift in _watches:
                drift.append(line)

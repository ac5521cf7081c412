"""Every id a request can carry is bounded to PostgreSQL's bigint, on every route.

The fuzzer only reaches the routes in the OpenAPI document and only finds an unbounded id
when it happens to draw a huge number; this walks every route (HTML forms included) and every
request model, so a new route with a bare ``int`` id fails here at once.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Sequence
from typing import Any, Union, get_args, get_origin

from annotated_types import Ge, Le
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import create_engine
from starlette.routing import BaseRoute

from huikuan.db.ids import ROW_ID_MAX
from huikuan.security.crypto import FieldCipher, generate_key, generate_spec
from huikuan.web.app import create_app


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return int in get_args(annotation)
    return False


def _bounded(metadata: list[Any]) -> bool:
    lows = [int(m.ge) for m in metadata if isinstance(m, Ge)]  # type: ignore[call-overload]
    highs = [int(m.le) for m in metadata if isinstance(m, Le)]  # type: ignore[call-overload]
    return bool(lows) and bool(highs) and min(lows) >= 0 and max(highs) <= ROW_ID_MAX


def _model_ids(model: type[BaseModel], where: str) -> list[tuple[str, list[Any]]]:
    found = []
    for name, info in model.model_fields.items():
        if name.endswith("_id") and _is_int(info.annotation):
            found.append((f"{where}.{name}", info.metadata))
        for arg in (info.annotation, *get_args(info.annotation)):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                found.extend(_model_ids(arg, f"{where}.{name}"))
    return found


def _api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every endpoint, through included routers (FastAPI wraps them since 0.16x)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _request_ids() -> list[tuple[str, list[Any]]]:
    app = create_app(
        create_engine("sqlite://"),
        FieldCipher.from_spec(generate_spec(), generate_key()),
        secret_key="x" * 32,
    )
    found: list[tuple[str, list[Any]]] = []
    for route in _api_routes(app.routes):
        label = f"{sorted(route.methods or ())[0]} {route.path}"
        dependant = route.dependant
        stack = [dependant]
        while stack:
            current = stack.pop()
            stack.extend(current.dependencies)
            for param in (*current.path_params, *current.query_params, *current.body_params):
                info = param.field_info
                annotation = param.field_info.annotation
                in_path = param in current.path_params
                if _is_int(annotation) and (in_path or param.name.endswith("_id")):
                    found.append((f"{label} {param.name}", info.metadata))
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    found.extend(_model_ids(annotation, f"{label} {param.name}"))
    return found


def test_every_id_a_request_carries_is_a_positive_bigint() -> None:
    ids = _request_ids()
    assert len(ids) > 20  # the walk saw the routes: cases, visits, matters, tokens, …
    unbounded = sorted(label for label, metadata in ids if not _bounded(metadata))
    assert not unbounded, unbounded


def test_the_walk_notices_an_unbounded_id() -> None:
    class Probe(BaseModel):
        case_id: int

    assert not all(_bounded(metadata) for _, metadata in _model_ids(Probe, "probe"))


def test_a_nul_in_the_path_or_query_is_a_client_error() -> None:
    from fastapi.testclient import TestClient

    cipher = FieldCipher.from_spec(generate_spec(), generate_key())
    app = create_app(create_engine("sqlite://"), cipher, secret_key="x" * 32)
    with TestClient(app) as client:
        assert client.get("/api/sessions", params={"user": "a\x00b"}).status_code == 400
        assert client.get("/d/a%00b").status_code == 400
        assert client.get("/healthz").status_code != 400

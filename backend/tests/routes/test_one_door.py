"""One door per endpoint: exactly one route answers each method and path, the one the
OpenAPI document describes, so that what a reader opens in app/routes/ is what runs and a
dependency added there (a token check, a rate limit) applies to every request."""

import re
from collections import Counter
from typing import Annotated

import pytest
from fastapi import Depends, Header, HTTPException, status
from fastapi.routing import APIRoute

from app.app import create_app
from app.config import Settings
from app.route_matching import route_matcher
from app.routes.tasks import router as tasks_router
from harness.app import make_settings, running_app

pytestmark = pytest.mark.anyio

TOKEN = "a-test-token"  # noqa: S105 (not a secret: the test sends it)


def documented_endpoints() -> set[tuple[str, str]]:
    """(method, path template) of every operation in the OpenAPI document."""
    document = create_app(make_settings(None)).openapi()
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def example_path(template: str) -> str:
    """A concrete path for a template: every {parameter} becomes 1."""
    return re.sub(r"\{[^}]+\}", "1", template)


@pytest.mark.parametrize(("method", "template"), sorted(documented_endpoints()))
def test_each_documented_endpoint_is_answered_by_exactly_one_route(
    method: str, template: str
) -> None:
    app = create_app(make_settings(None))
    scope = {"type": "http", "method": method, "path": example_path(template), "root_path": ""}

    assert route_matcher(app).templates(scope) == [template]


def test_no_method_and_path_is_declared_by_two_routes() -> None:
    app = create_app(make_settings(None))
    declared = Counter(
        (method, route.path_format)
        for route in route_matcher(app).routes
        for method in route.methods or ()
    )

    assert [endpoint for endpoint, count in declared.items() if count > 1] == []
    assert documented_endpoints() <= set(declared)


def route_named(name: str) -> APIRoute:
    routes = [route for route in tasks_router.routes if getattr(route, "name", None) == name]
    assert len(routes) == 1
    route = routes[0]
    assert isinstance(route, APIRoute)
    return route


async def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
    if authorization != f"Bearer {TOKEN}":
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="A token is needed")


async def test_a_dependency_added_to_the_create_route_applies_to_a_plain_json_post(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What `@router.post("", dependencies=[Depends(require_token)], ...)` in
    # app/routes/tasks.py does, in this test's app only.
    create_route = route_named("create_task")
    guarded = [*create_route.dependencies, Depends(require_token)]
    monkeypatch.setattr(create_route, "dependencies", guarded)
    body = b'{"title": "Sans jeton"}'
    json = {"content-type": "application/json"}

    async with running_app(settings) as client:
        refused = await client.post("/api/tasks", content=body, headers=json)
        keyed = await client.post(
            "/api/tasks", content=body, headers={**json, "Idempotency-Key": "k-1"}
        )
        listed = await client.get("/api/tasks")
        accepted = await client.post(
            "/api/tasks", content=body, headers={**json, "Authorization": f"Bearer {TOKEN}"}
        )

    assert (refused.status_code, keyed.status_code) == (401, 401)
    assert refused.json() == {"detail": "A token is needed"}
    assert [task["id"] for task in listed.json()] == [1, 2]  # nothing was created
    assert accepted.status_code == 201

"""Bad input gets one clear error per bad field, whatever the field and the mistake, on
both stores; nothing is changed. No message speaks of the None branch of an optional
field ("Input should be None"), which a client cannot act on."""

import json
import re
from typing import Any

import httpx
import pytest

from app.title import TITLE_MAX_LENGTH

pytestmark = pytest.mark.anyio

DEMO_TASKS = [
    {"id": 1, "title": "Apprendre Docker", "done": False},
    {"id": 2, "title": "Configurer CI/CD", "done": False},
]
NOT_A_STRING: list[Any] = [42, 1.5, True, ["x"], {"x": 1}]
NOT_A_BOOLEAN: list[Any] = ["true", "yes", 1, 0, 1.0, ["x"], {}]
NOT_AN_OBJECT: list[Any] = [[], "title", 5, None]
BAD_TITLES = ["", "   ", "\u200b", "\ufeff\u200b \u00a0", "x" * (TITLE_MAX_LENGTH + 1), "a\tb"]

Case = tuple[str, str, Any, list[tuple[str, ...]], dict[str, str]]


def case(
    method: str,
    path: str,
    body: Any,
    locations: list[tuple[str, ...]],
    headers: dict[str, str] | None = None,
) -> Case:
    return (method, path, body, locations, headers or {})


# (method, path, body, where each error is: one per bad field)
CASES: list[Case] = [
    *[case("POST", "/api/tasks", {"title": bad}, [("body", "title")]) for bad in NOT_A_STRING],
    *[case("POST", "/api/tasks", {"title": bad}, [("body", "title")]) for bad in BAD_TITLES],
    case("POST", "/api/tasks", {"title": None}, [("body", "title")]),
    *[
        case("POST", "/api/tasks", {"title": "ok", "done": bad}, [("body", "done")])
        for bad in [*NOT_A_BOOLEAN, None]
    ],
    case("POST", "/api/tasks", {"title": "ok", "id": 9}, [("body", "id")]),
    case("POST", "/api/tasks", {}, [("body", "title")]),
    case("POST", "/api/tasks", {"title": 42, "done": "no"}, [("body", "title"), ("body", "done")]),
    case(
        "POST",
        "/api/tasks",
        {"title": "\u200b", "done": None, "extra": 1},
        [("body", "title"), ("body", "done"), ("body", "extra")],
    ),
    *[case("POST", "/api/tasks", bad, [("body",)]) for bad in NOT_AN_OBJECT],
    *[case("PATCH", "/api/tasks/1", {"title": bad}, [("body", "title")]) for bad in NOT_A_STRING],
    *[case("PATCH", "/api/tasks/1", {"title": bad}, [("body", "title")]) for bad in BAD_TITLES],
    case("PATCH", "/api/tasks/1", {"title": None}, [("body", "title")]),
    *[
        case("PATCH", "/api/tasks/1", {"done": bad}, [("body", "done")])
        for bad in [*NOT_A_BOOLEAN, None]
    ],
    case(
        "PATCH",
        "/api/tasks/1",
        {"title": None, "done": None},
        [("body", "title"), ("body", "done")],
    ),
    case(
        "PATCH",
        "/api/tasks/1",
        {"title": "\u200b", "done": 1},
        [("body", "title"), ("body", "done")],
    ),
    case("PATCH", "/api/tasks/1", {"id": 3}, [("body", "id")]),
    case("PATCH", "/api/tasks/1", {}, [("body",)]),
    *[case("PATCH", "/api/tasks/1", bad, [("body",)]) for bad in NOT_AN_OBJECT],
    *[case("PATCH", "/api/tasks", {"done": bad}, [("body", "done")]) for bad in ["yes", 1, None]],
    case("PATCH", "/api/tasks", {}, [("body", "done")]),
]
# Optional query, path and header parameters: the same rule.
CASES += [
    case("GET", "/api/tasks?done=maybe", None, [("query", "done")]),
    case("GET", "/api/tasks?limit=0", None, [("query", "limit")]),
    case(
        "GET", "/api/tasks?limit=x&after_id=-1", None, [("query", "limit"), ("query", "after_id")]
    ),
    case("GET", "/api/tasks/0", None, [("path", "task_id")]),
    case("DELETE", "/api/tasks?done=false", None, [("query", "done")]),
    case("DELETE", "/api/tasks", None, [("query", "done")]),
    case(
        "POST",
        "/api/tasks",
        {"title": "ok"},
        [("header", "Idempotency-Key")],
        {"Idempotency-Key": "with space"},
    ),
]


def assert_one_clear_error_per_field(
    response: httpx.Response, locations: list[tuple[str, ...]]
) -> None:
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert sorted(tuple(error["loc"]) for error in errors) == sorted(locations), errors
    for error in errors:
        assert error["msg"], error
        assert not re.search(r"\bNone\b", error["msg"]), error


@pytest.mark.parametrize(
    ("method", "path", "body", "locations", "headers"),
    CASES,
    ids=[
        f"{method} {path} {json.dumps(body)[:48]} {headers}"
        for method, path, body, _, headers in CASES
    ],
)
async def test_each_bad_field_gets_exactly_one_clear_error(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    body: Any,
    locations: list[tuple[str, ...]],
    headers: dict[str, str],
) -> None:
    response = await client.request(method, path, json=body, headers=headers)

    assert_one_clear_error_per_field(response, locations)
    assert (await client.get("/api/tasks")).json() == DEMO_TASKS


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("  " + "b" * TITLE_MAX_LENGTH + "  ", "b" * TITLE_MAX_LENGTH),
        ("\tcoffee\n", "coffee"),
        ("\u3000\u00a0th\u00e9\u2029", "th\u00e9"),
        (" " + "🐳" * TITLE_MAX_LENGTH + "\r\n", "🐳" * TITLE_MAX_LENGTH),
    ],
)
async def test_titles_are_trimmed_before_they_are_checked_on_create_and_update(
    client: httpx.AsyncClient, sent: str, stored: str
) -> None:
    created = await client.post("/api/tasks", json={"title": sent})
    renamed = await client.patch("/api/tasks/1", json={"title": sent})

    assert created.status_code == 201, created.text
    assert created.json()["title"] == stored
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["title"] == stored
    assert (await client.get(f"/api/tasks/{created.json()['id']}")).json()["title"] == stored
    assert (await client.get("/api/tasks/1")).json()["title"] == stored

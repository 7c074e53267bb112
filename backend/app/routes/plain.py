"""The plain list and create requests, answered without FastAPI's work per request.

Listing and creating tasks are what a task list is asked for most, and FastAPI's
handling of a request (resolving the dependency, validating each parameter and header,
building the call) costs more CPU than the database statement it serves. Two Starlette
routes, tried before the FastAPI ones, take the plain requests with the FastAPI routes'
own code (list_page, create in app/routes/tasks.py), inside the same middleware (request
log, metrics, HEAD, body-size cap):

- GET /api/tasks with `done`, `limit` and `after_id` each at most once, spelled as the
  Link header spells them, within bounds;
- POST /api/tasks sent as application/json, with at most one well-formed Idempotency-Key,
  whose body is a valid TaskCreate.

Anything else (an error to explain above all, another spelling, another parameter) goes
on to the FastAPI routes, which the OpenAPI document describes. Both answer alike
(tests/routes/test_plain_routes.py); see README.md, Performance.
"""

import re
from typing import NamedTuple
from urllib.parse import parse_qsl

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from app.routes.deps import get_store
from app.routes.tasks import IDEMPOTENCY_KEY_PATTERN, MAX_PAGE_SIZE, PAGE_SIZE, create, list_page
from app.schemas import MAX_TASK_ID, TaskCreate

# Where a route leaves what it found for its endpoint, in the request's scope.
_QUERY = "tasks.plain_list_query"
_KEY = "tasks.plain_idempotency_key"
# Set when the plain create route hands a request over to the FastAPI one.
_HANDED_OVER = "tasks.plain_create_handed_over"

_PARAMETERS = {"done", "limit", "after_id"}
# Digits without a leading zero: one spelling for one number.
_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


class PlainListQuery(NamedTuple):
    done: bool | None
    limit: int
    after_id: int


def plain_list_query(query_string: bytes) -> PlainListQuery | None:
    """The parameters of a plain list request, or None for the FastAPI route to judge."""
    # Decoded as Starlette decodes it for FastAPI: the same values on both routes.
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    values = dict(pairs)
    if len(values) != len(pairs) or not values.keys() <= _PARAMETERS:
        return None  # a parameter given twice, or another one
    done = values.get("done")
    limit = values.get("limit", str(PAGE_SIZE))
    after_id = values.get("after_id", "0")
    if done not in (None, "true", "false"):
        return None
    if not (_NUMBER.fullmatch(limit) and _NUMBER.fullmatch(after_id)):
        return None
    query = PlainListQuery(None if done is None else done == "true", int(limit), int(after_id))
    if not (1 <= query.limit <= MAX_PAGE_SIZE and query.after_id <= MAX_TASK_ID):
        return None
    return query


class NotPlain(Exception):
    """The request is not a plain create request."""


def plain_create_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The Idempotency-Key of a plain create request (None: without one); NotPlain for
    any other request: another content type, a header given twice, a malformed key."""
    content_types = [value for name, value in headers if name == b"content-type"]
    keys = [value for name, value in headers if name == b"idempotency-key"]
    if content_types != [b"application/json"] or len(keys) > 1:
        raise NotPlain
    if not keys:
        return None
    key = keys[0].decode("latin-1")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise NotPlain
    return key


class PlainRoute(Route):
    """A route that answers only the plain requests `plain(scope)` accepts, and steps
    aside for every other one (to the FastAPI route on the same path)."""

    plain_key: str

    def plain(self, scope: Scope) -> object:
        raise NotImplementedError

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.FULL:
            # A method this route does not take: the FastAPI routes answer (405 included).
            return Match.NONE, {}
        try:
            found = self.plain(scope)
        except NotPlain:
            return Match.NONE, {}
        return Match.FULL, {**child_scope, "route": self, self.plain_key: found}


class PlainListRoute(PlainRoute):
    plain_key = _QUERY

    def __init__(self, path: str) -> None:
        # The FastAPI route's name: the metrics count both as the same route.
        super().__init__(
            path, _list_tasks, methods=["GET"], name="list_tasks", include_in_schema=False
        )

    def plain(self, scope: Scope) -> PlainListQuery:
        query = plain_list_query(scope["query_string"])
        if query is None:
            raise NotPlain
        return query


async def _list_tasks(request: Request) -> Response:
    query: PlainListQuery = request.scope[_QUERY]
    store = await get_store(request)
    return await list_page(store, request.scope["path"], **query._asdict())


class PlainCreateRoute(PlainRoute):
    plain_key = _KEY

    def __init__(self, path: str) -> None:
        super().__init__(
            path, _create_task, methods=["POST"], name="create_task", include_in_schema=False
        )

    def plain(self, scope: Scope) -> str | None:
        if scope.get(_HANDED_OVER):
            raise NotPlain
        return plain_create_key(scope["headers"])


class _CreateTask:
    """An ASGI app rather than an endpoint: a body found not valid goes on, as it came, to
    the FastAPI route, which reads it again and says what is wrong with it."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await request.body()
        try:
            task = TaskCreate.model_validate_json(body)
        except ValidationError:
            scope[_HANDED_OVER] = True
            await scope["app"].router(scope, _replay(body, receive), send)
            return
        response = await create(await get_store(request), task, scope[_KEY])
        await response(scope, receive, send)


_create_task = _CreateTask()


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` as it was before the body was read: the body first, then the rest."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay

"""GET /api/tasks in its plain forms, answered without FastAPI's work per request.

The list is what a task list is asked for most, and FastAPI's handling of a request
(resolving the dependency, validating each query parameter, building the call) costs
more CPU than the database query it serves. This route takes the plain requests:
`done`, `limit` and `after_id`, each at most once, spelled as the Link header spells
them, within bounds. It answers them with the FastAPI route's own code (list_page).
Anything else (an error to explain, another spelling, another parameter) goes on to the
FastAPI route in app/routes/tasks.py, which the OpenAPI document describes. Both give
the same bytes (tests/routes/test_plain_list.py); see README.md, Performance.
"""

import re
from typing import NamedTuple
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from app.routes.deps import get_store
from app.routes.tasks import MAX_PAGE_SIZE, PAGE_SIZE, list_page
from app.schemas import MAX_TASK_ID

# Where the parsed query waits for the endpoint, in the request's scope.
_QUERY = "tasks.plain_list_query"
_PARAMETERS = {"done", "limit", "after_id"}
# Digits without a leading zero: one spelling for one number.
_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")


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


async def _list_tasks(request: Request) -> Response:
    query: PlainListQuery = request.scope[_QUERY]
    store = await get_store(request)
    return await list_page(store, request.scope["path"], **query._asdict())


class PlainListRoute(Route):
    """Matches GET /api/tasks when its query is plain; otherwise steps aside."""

    def __init__(self, path: str) -> None:
        # The FastAPI route's name: the metrics count both as the same route.
        super().__init__(
            path, _list_tasks, methods=["GET"], name="list_tasks", include_in_schema=False
        )

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match is not Match.FULL:
            # A method this route does not take: the FastAPI routes answer (405 included).
            return Match.NONE, {}
        query = plain_list_query(scope["query_string"])
        if query is None:
            return Match.NONE, {}
        return Match.FULL, {**child_scope, "route": self, _QUERY: query}

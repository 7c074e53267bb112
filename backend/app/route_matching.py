"""Which of the app's routes a request matches, whatever the route's class (FastAPI's,
Starlette's such as GET /metrics and the docs) and however it was included: for the
metrics' route label, a 405's Allow header, and the test that one route answers each
endpoint. One walk of the routes, FastAPI's iter_route_contexts(), in the router's order,
prefixes of included routers applied.
"""

from collections.abc import Sequence

from fastapi.routing import RouteContext, iter_route_contexts
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

# The methods the app tells apart: a 405's Allow lists those of a path, and the metrics
# count any other under "other", so that made-up methods create no series.
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


class RouteMatcher:
    """The routes of one app, matched as its router would match them."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes: list[RouteContext] = [
            route for route in iter_route_contexts(routes) if route.path_format
        ]

    def templates(self, scope: Scope, match: Match = Match.FULL) -> list[str]:
        """The path template of every route that matches `scope` so: FULL, path and
        method; PARTIAL, the path but not the method."""
        return [str(route.path_format) for route in self.routes if route.matches(scope)[0] is match]

    def template(self, scope: Scope) -> str | None:
        """The template of the route that takes the request (a HEAD as a GET), or else of
        the route that has its path for another method (a 405); None for no route."""
        probe = {**scope, "method": "GET"} if scope["method"] == "HEAD" else scope
        partial = None
        for route in self.routes:
            match, _ = route.matches(probe)
            if match is Match.FULL:
                return str(route.path_format)
            if match is Match.PARTIAL and partial is None:
                partial = str(route.path_format)
        return partial

    def allowed_methods(self, scope: Scope, path: str) -> list[str]:
        """Every method of HTTP_METHODS some route answers at `path` (HEAD wherever GET)."""
        allowed = [
            method
            for method in HTTP_METHODS
            if self.templates({**scope, "path": path, "method": method})
        ]
        if "GET" in allowed and "HEAD" not in allowed:
            allowed.insert(allowed.index("GET") + 1, "HEAD")
        return allowed


def route_matcher(app: Starlette) -> RouteMatcher:
    """`app`'s matcher, made at first use (every route is added by then) and kept."""
    matcher = getattr(app.state, "route_matcher", None)
    if matcher is None:
        matcher = app.state.route_matcher = RouteMatcher(app.routes)
    return matcher

"""Liveness and readiness, for health checks and load balancers."""

from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from app.errors import RETRY_AFTER_SECONDS
from app.routes.deps import StoreDep
from app.routes.strict_json import StrictJSONRoute
from app.store import StorageKind

router = APIRouter(prefix="/health", tags=["health"], route_class=StrictJSONRoute)


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    # read_only: the database serves reads and refuses writes (a standby, maintenance).
    # Still a 200: the backend serves what the database allows, and a load balancer that
    # took every replica out would refuse the reads too.
    status: Literal["ok", "read_only", "unavailable"]
    storage: StorageKind
    # Unless ok: why, as a stable id (for scripts: no_database, wrong_password,
    # does_not_answer, read_only, ...; docs/api.md lists them), and in words.
    reason: str | None = None
    detail: str | None = None


@router.get("", summary="The process is up (never touches the database)")
async def liveness() -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/ready",
    summary="The storage answers: ready to serve tasks",
    responses={503: {"model": Readiness, "description": "The storage does not answer"}},
    response_model_exclude_none=True,
)
async def readiness(store: StoreDep, response: Response) -> Readiness:
    # The store's last verdict (a background check): cheap, and a busy connection pool
    # does not make a healthy backend look broken to a load balancer.
    state = store.state()
    if state.status == "unavailable":
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return Readiness(
        status=state.status, storage=store.kind, reason=state.reason, detail=state.detail
    )

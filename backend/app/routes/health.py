"""Liveness and readiness, for health checks and load balancers."""

from typing import Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel

from app.errors import RETRY_AFTER_SECONDS
from app.routes.deps import StoreDep
from app.store import StoreUnavailableError
from app.store.base import StorageKind

router = APIRouter(prefix="/health", tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    storage: StorageKind


@router.get("", summary="The process is up (never touches the database)")
async def liveness() -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/ready",
    summary="The storage answers: ready to serve tasks",
    responses={503: {"model": Readiness, "description": "The storage does not answer"}},
)
async def readiness(store: StoreDep, response: Response) -> Readiness:
    try:
        await store.ping()
    except StoreUnavailableError:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return Readiness(status="unavailable", storage=store.kind)
    return Readiness(status="ok", storage=store.kind)

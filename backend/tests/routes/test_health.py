"""Liveness and readiness."""

import httpx
import pytest

from app.config import Settings

pytestmark = pytest.mark.anyio


async def test_liveness_is_exactly_status_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readiness_names_the_storage(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.get("/api/health/ready")

    expected = "memory" if settings.database_url is None else "postgresql"
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "storage": expected}

"""The app in process, for API tests: settings for a test, and the app running with a client."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

from app.app import create_app
from app.config import Settings
from harness.polling import apoll

READY_TIMEOUT = 20.0


def make_settings(database_url: str | None, **overrides: object) -> Settings:
    """Settings for a test, whatever the environment running the tests says."""
    values: dict[str, object] = {
        "database_url": SecretStr(database_url) if database_url else None,
        "db_retry_max_backoff": 0.2,
        "db_connect_timeout": 2,
        "log_format": "console",
        **overrides,
    }
    return Settings.model_validate(values)


@asynccontextmanager
async def running_app(
    settings: Settings, *, wait_ready: bool = True
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan started, and an HTTP client talking to it in process."""
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            if wait_ready:
                await wait_until_ready(client)
            yield client


async def wait_for_status(
    client: httpx.AsyncClient, path: str, status: int, within: float = READY_TIMEOUT
) -> httpx.Response:
    """Poll GET `path` until it answers `status`, or fail after `within` seconds."""

    async def attempt() -> httpx.Response | None:
        response = await client.get(path)
        return response if response.status_code == status else None

    return await apoll(attempt, within=within, what=f"GET {path} answering {status}")


async def wait_until_ready(client: httpx.AsyncClient) -> None:
    await wait_for_status(client, "/api/health/ready", 200)

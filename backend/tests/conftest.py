"""Fixtures: a throwaway PostgreSQL server, fresh databases, and the app on either store."""

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
from asgi_lifespan import LifespanManager
from pydantic import SecretStr

from app.app import create_app
from app.config import Settings
from tests.postgres import fresh_database, postgres_for_tests

STORES = ["memory", "postgresql"]
READY_TIMEOUT = 20.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """TEST_DATABASE_URL's server, or a throwaway one started for this test run."""
    with postgres_for_tests() as url:
        yield url


@pytest.fixture
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A new empty database for one test."""
    with fresh_database(postgres_server_url) as url:
        yield url


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
    deadline = time.monotonic() + within
    while True:
        response = await client.get(path)
        if response.status_code == status:
            return response
        if time.monotonic() > deadline:
            raise AssertionError(
                f"GET {path} still {response.status_code} after {within}s: {response.text}"
            )
        await anyio.sleep(0.05)


async def wait_until_ready(client: httpx.AsyncClient) -> None:
    await wait_for_status(client, "/api/health/ready", 200)


@pytest.fixture(params=STORES)
def settings(request: pytest.FixtureRequest) -> Settings:
    """Settings for each store in turn: every API test runs on both."""
    if request.param == "memory":
        return make_settings(None)
    url = request.getfixturevalue("database_url")
    return make_settings(url)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a freshly started app on fresh storage."""
    async with running_app(settings) as client:
        yield client

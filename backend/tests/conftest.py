"""Fixtures: a throwaway PostgreSQL server, fresh databases, and the app on either store."""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from app.config import Settings
from harness.app import make_settings, running_app
from harness.postgres import fresh_database, postgres_for_tests, server_programs

STORES = ["memory", "postgresql"]


def pytest_report_header() -> str:
    """Which PostgreSQL the tests run on (docs/development.md#the-tests)."""
    return server_programs()


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

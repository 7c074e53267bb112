"""Fixtures: PostgreSQL, the local stack (backend + nginx), and the browser."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness.postgres import postgres_for_tests, server_programs
from playwright.sync_api import Browser, sync_playwright

from stacks.app import AppStack
from stacks.compose import ComposeStack, compose_stack
from stacks.local import LocalStack, local_stack
from support.browser_watch import WatchedPage
from support.chromium import CHROMIUM, CHROMIUM_FLAGS


def pytest_report_header() -> list[str]:
    """Which PostgreSQL the tests run on (docs/development.md#the-tests): the local stack's
    on this machine, the compose and Swarm stacks' in the database image."""
    image = os.environ.get("POSTGRES_IMAGE", "the compose file's default")
    return [f"Local stack: {server_programs()}", f"Stacks in containers: {image}"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--headed", action="store_true", help="show the browser while testing")
    parser.addoption(
        "--stack",
        choices=("local", "compose"),
        default="local",
        help="where the browser tests run the app: the local stack (PostgreSQL, uvicorn, "
        "the machine's nginx), or the docker compose stack",
    )


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with postgres_for_tests() as url:
        yield url


@pytest.fixture(scope="module")
def shared_stack(postgres_server_url: str) -> Iterator[LocalStack]:
    """One stack for a whole module, for tests that do not depend on the data's state."""
    with local_stack(postgres_server_url) as running:
        yield running


@pytest.fixture(scope="session")
def compose_app() -> Iterator[ComposeStack]:
    """The docker compose stack, for the whole run."""
    with compose_stack() as running:
        yield running


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> Iterator[AppStack]:
    """The app on a fresh database holding the two demo tasks: a local stack of this test's
    own, or (--stack compose) the compose stack with its database emptied."""
    if request.config.getoption("--stack") == "compose":
        compose: ComposeStack = request.getfixturevalue("compose_app")
        compose.reset_data()
        yield compose
        return
    with local_stack(request.getfixturevalue("postgres_server_url")) as running:
        yield running


@pytest.fixture(scope="module")
def drills_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the drills' tests keep workspaces and progress (DRILLS_DIR): never the
    learner's own .drills/."""
    return tmp_path_factory.mktemp("drills")


@pytest.fixture(scope="session")
def headless(pytestconfig: pytest.Config) -> bool:
    headed = bool(pytestconfig.getoption("--headed"))
    if headed and os.environ.get("CI") == "true":
        raise pytest.UsageError("--headed cannot be used under CI=true")
    return not headed


@pytest.fixture(scope="session")
def browser(headless: bool) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=headless, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def watched_page(browser: Browser) -> Iterator[WatchedPage]:
    """A page in a fresh browser context that records console errors, failed requests and
    Content-Security-Policy violations."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watched = WatchedPage(page)
    yield watched
    context.close()

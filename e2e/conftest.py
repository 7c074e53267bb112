"""Fixtures: PostgreSQL, the local stack (backend + nginx), and the browser."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from browser_watch import WatchedPage
from local_stack import LocalStack, local_stack, postgres_server


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--headed", action="store_true", help="show the browser while testing")


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def shared_stack(postgres_server_url: str) -> Iterator[LocalStack]:
    """One stack for a whole module, for tests that do not depend on the data's state."""
    with local_stack(postgres_server_url) as running:
        yield running


@pytest.fixture
def stack(postgres_server_url: str) -> Iterator[LocalStack]:
    """A stack of this test's own, on a fresh database holding the two demo tasks."""
    with local_stack(postgres_server_url) as running:
        yield running


@pytest.fixture(scope="session")
def headless(pytestconfig: pytest.Config) -> bool:
    headed = bool(pytestconfig.getoption("--headed"))
    if headed and os.environ.get("CI") == "true":
        raise pytest.UsageError("--headed cannot be used under CI=true")
    return not headed


# Debian's Chromium, by its path: browser downloads cannot work here. The flags keep it
# from reaching out to the network on its own (updates, sync, QUIC probes).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


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

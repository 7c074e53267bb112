"""Fixtures: the local stack (PostgreSQL, backend, nginx), started once per test module."""

from collections.abc import Iterator

import pytest

from local_stack import LocalStack, local_stack


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with local_stack() as running:
        yield running

"""What the backend says when nothing answers at DATABASE_URL's host: at localhost, that in
a container localhost is the container itself (the course's classic mistake)."""

import psycopg
import pytest

from app.database.diagnosis import DOES_NOT_ANSWER, LOOPBACK_DOES_NOT_ANSWER, diagnose
from harness.network import free_port


def refusal_at(host: str) -> psycopg.OperationalError:
    """libpq's own error for a port where nothing listens, at `host`."""
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(f"postgresql://tasks@{host}:{free_port()}/tasks", connect_timeout=2)
    return caught.value


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_nothing_at_localhost_is_told_it_is_the_container_itself(host: str) -> None:
    reason = diagnose(refusal_at(host))

    assert reason is LOOPBACK_DOES_NOT_ANSWER
    assert "in a container, that is the container itself" in reason.sentence
    assert "DATABASE_URL" in reason.sentence


def test_nothing_answering_elsewhere_is_an_outage_without_that_advice() -> None:
    down = psycopg.OperationalError(
        'connection failed: connection to server at "db" (172.18.0.2), port 5432 failed: '
        "Connection refused"
    )

    assert diagnose(down) is DOES_NOT_ANSWER

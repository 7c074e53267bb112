"""A client still sending a body the server refuses reads the answer, every time: the real
server (`uvicorn main:app`), a raw socket sending as a proxy does (`Connection: close`,
the body in pieces, declared or chunked), 200 tries of each kind, on both stores and
with both of uvicorn's HTTP parsers.

Without a graceful end (app/request_body.py), uvicorn closes the socket with the body's
rest unread, the kernel resets the connection, and the client gets a broken pipe or a
reset instead of the 413: through nginx, a 503 "retry later"."""

import select
import socket
from collections import Counter
from collections.abc import Iterator

import pytest

from app.request_body import MAX_BODY_BYTES
from harness.servers import UvicornServer
from tests.utils.reporting import report

TRIES = 200
PIECE = 8192


@pytest.fixture(
    params=[("memory", "httptools"), ("postgresql", "httptools"), ("memory", "h11")],
    ids=lambda param: "-".join(param),
)
def server(request: pytest.FixtureRequest) -> Iterator[UvicornServer]:
    store, parser = request.param  # httptools: what the image runs; h11: uvicorn's other
    database_url = request.getfixturevalue("database_url") if store == "postgresql" else None
    env = {"LOG_LEVEL": "warning", "UVICORN_HTTP": parser}
    running = UvicornServer(database_url=database_url, env=env)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def json_body(size: int) -> bytes:
    return b'{"title": "' + b"x" * (size - 13) + b'"}'


def encoded(piece: bytes, chunked: bool) -> bytes:
    return b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece


def post(port: int, body: bytes, *, chunked: bool) -> str:
    """POST the body as a proxy does, then read the answer: its status ("413"), or what
    went wrong on the way ("BrokenPipeError while sending", ...)."""
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
    head = (
        b"POST /api/tasks HTTP/1.1\r\nHost: backend\r\nContent-Type: application/json\r\n"
        b"Connection: close\r\n" + framing + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        try:
            connection.sendall(head)
            # The server answers as soon as it knows the body is too large: from the
            # declared length, or once the cap is passed. The rest is sent after that
            # answer has arrived, as a slower client's (or a busy proxy's) would be.
            refused_after = PIECE if not chunked else MAX_BODY_BYTES + 1
            for start in range(0, len(body), PIECE):
                connection.sendall(encoded(body[start : start + PIECE], chunked))
                if start < refused_after <= start + PIECE:
                    select.select([connection], [], [], 1.0)
            if chunked:
                connection.sendall(b"0\r\n\r\n")
        except OSError as error:
            return f"{type(error).__name__} while sending"
        answer = b""
        try:
            while data := connection.recv(65536):
                answer += data
        except OSError as error:
            return f"{type(error).__name__} while reading"
    status_line = answer.split(b"\r\n", 1)[0].decode("latin-1")  # HTTP/1.1 413 ...
    return status_line.split(" ")[1] if status_line.startswith("HTTP/1.1 ") else repr(answer)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("size", [70_000, 125_000])
def test_a_client_still_sending_a_refused_body_reads_the_413_every_time(
    server: UvicornServer, size: int, chunked: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    assert size > MAX_BODY_BYTES
    body = json_body(size)

    outcomes = Counter(post(server.port, body, chunked=chunked) for _ in range(TRIES))

    report(capsys, f"\n{size:,} bytes, {'chunked' if chunked else 'declared'}: {dict(outcomes)}")
    assert outcomes == {"413": TRIES}

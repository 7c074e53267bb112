"""The project's nginx.conf, for real: the machine's nginx serving the built app in front of
a running backend."""

import json
import math
import os
import re
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from harness.network import free_port
from harness.polling import poll

from stacks.local import LocalStack, Nginx, nginx_work_dir
from support.paths import DIST_DIR, NGINX_PROTECT_WRITES
from support.tcp_forwarder import TcpForwarder

ASSETS = sorted(path.name for path in (DIST_DIR / "assets").glob("*.js"))


@dataclass
class RawAnswer:
    """What nginx sent back on one connection: `status` None when it closed it without a
    word."""

    status: int | None
    headers: httpx.Headers = field(default_factory=httpx.Headers)
    body: bytes = b""
    seconds: float = 0.0

    def json(self) -> object:
        return json.loads(self.body)


def raw_request(port: int, request: bytes) -> RawAnswer:
    """`request` sent as it is, malformed as no HTTP client would send it, on a connection
    of its own to 127.0.0.1:`port`; nginx's answer, read until it closes the connection."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    seconds = time.monotonic() - started
    if not received:
        return RawAnswer(None, seconds=seconds)
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = httpx.Headers([(line.partition(": ")[0], line.partition(": ")[2]) for line in lines])
    return RawAnswer(int(status_line.split()[1]), headers, body, seconds)


@pytest.fixture
def http(shared_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_stack.url, timeout=10) as client:
        yield client


def assert_security_headers(response: httpx.Response | RawAnswer) -> None:
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert response.headers["server"] == "nginx"  # no version (server_tokens off)


def test_index_is_served_uncached_with_a_strict_csp(http: httpx.Client) -> None:
    response = http.get("/")

    assert response.status_code == 200
    assert '<div id="root">' in response.text
    assert response.headers["cache-control"] == "no-cache"
    assert_security_headers(response)
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]


def test_client_side_routes_fall_back_to_the_app(http: httpx.Client) -> None:
    response = http.get("/some/client/route?filter=done")

    assert response.status_code == 200
    assert '<div id="root">' in response.text
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize(
    "path",
    ["/robots.txt", "/favicon.ico", "/sitemap.xml", "/apple-touch-icon.png", "/.env",
     "/.well-known/security.txt", "/.well-known/change-password", "/tasks/old-bundle.js"],
)  # fmt: skip
def test_a_missing_file_is_404_not_the_apps_page(http: httpx.Client, path: str) -> None:
    """Given what crawlers and browsers ask for at the root (robots.txt, favicon.ico,
    /.well-known/...), when the app has no such file, then it is a 404: the app's page
    answers navigations only."""
    response = http.get(path)

    assert_nginx_json_error(response, 404, "Not Found")
    assert '<div id="root">' not in response.text


@pytest.mark.parametrize("path", ["/", "/tasks", "/tasks/42", "/some/client/route?filter=done"])
def test_navigations_get_the_apps_page_and_its_files_are_served(
    http: httpx.Client, path: str
) -> None:
    page = http.get(path)
    icon = http.get("/favicon.svg")

    assert page.status_code == 200
    assert '<div id="root">' in page.text
    assert (icon.status_code, icon.headers["content-type"]) == (200, "image/svg+xml")


def test_hashed_assets_are_cached_for_a_year_and_gzipped(http: httpx.Client) -> None:
    response = http.get(f"/assets/{ASSETS[0]}", headers={"Accept-Encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/javascript"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"


def test_missing_asset_is_404_with_security_headers_not_the_app(http: httpx.Client) -> None:
    """After three tries: another release behind the same balancer may have it (nginx.conf,
    $tasks_asset_next_try); each redirect is never cached and closes its connection."""
    response = http.get("/assets/missing-0123.js", follow_redirects=True)

    assert [asked.headers["location"] for asked in response.history] == [
        f"/assets/missing-0123.js?try={number}" for number in (1, 2, 3)
    ]
    for asked in response.history:
        assert asked.status_code == 307
        assert asked.headers["cache-control"] == "no-store"
        assert asked.headers["connection"] == "close"
        assert_security_headers(asked)
    assert response.status_code == 404
    assert '<div id="root">' not in response.text
    assert "cache-control" not in response.headers
    assert_security_headers(response)


def test_api_is_forwarded_to_the_backend(http: httpx.Client) -> None:
    listed = http.get("/api/tasks")
    created = http.post("/api/tasks", json={"title": "Par le proxy"})

    assert listed.status_code == 200
    assert [task["title"] for task in listed.json()][:2] == ["Apprendre Docker", "Configurer CI/CD"]
    assert created.status_code == 201
    assert created.headers["location"] == f"/api/tasks/{created.json()['id']}"
    assert http.get(created.headers["location"]).json()["title"] == "Par le proxy"
    assert "cache-control" not in listed.headers
    assert listed.headers["content-security-policy"] == "frame-ancestors 'none'"


def test_api_json_is_gzipped(http: httpx.Client) -> None:
    for number in range(10):
        http.post("/api/tasks", json={"title": f"assez pour compresser {number}"})

    response = http.get("/api/tasks", headers={"Accept-Encoding": "gzip"})

    assert response.headers["content-encoding"] == "gzip"


def test_request_id_reaches_the_backend_and_comes_back(http: httpx.Client) -> None:
    given = http.get("/api/health", headers={"X-Request-ID": "from-the-client-1"})
    generated = http.get("/api/health")

    assert given.headers["x-request-id"] == "from-the-client-1"
    # nginx's own $request_id (32 hex digits), forwarded when the client sent none.
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])


def test_api_docs_are_reachable_through_the_proxy(http: httpx.Client) -> None:
    assert http.get("/api/docs").status_code == 200
    assert "/api/tasks" in http.get("/api/openapi.json").json()["paths"]


def api_body_cap(http: httpx.Client) -> int:
    """The API's cap on request bodies, in bytes, as its OpenAPI document states it."""
    return int(http.get("/api/openapi.json").json()["x-max-body-bytes"])


def create_body(size: int) -> bytes:
    """A task-creating JSON body of exactly `size` bytes: a short title, padded with the
    whitespace JSON allows between tokens."""
    head, tail = b'{"title":"pad"', b"}"
    return head + b" " * (size - len(head) - len(tail)) + tail


def in_chunks(body: bytes, size: int = 16_384) -> Iterator[bytes]:
    """`body` sent with Transfer-Encoding: chunked, so that no length is declared first."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def post_task(client: httpx.Client, body: bytes, transfer: str) -> httpx.Response:
    """POST /api/tasks with `body`, its length declared ("plain") or not ("chunked")."""
    return client.post(
        "/api/tasks",
        content=in_chunks(body) if transfer == "chunked" else body,
        headers={"Content-Type": "application/json"},
    )


def answered_by(response: httpx.Response) -> str:
    """The backend tags every answer with X-Request-ID; nginx's own answers have none."""
    return "backend" if "x-request-id" in response.headers else "nginx"


def tally(client: httpx.Client, body: bytes, transfer: str) -> Counter[tuple[int, str, str]]:
    """200 tries of `body`: how many got each (status, who answered, answer)."""
    answers: Counter[tuple[int, str, str]] = Counter()
    for _ in range(200):
        response = post_task(client, body, transfer)
        answers[response.status_code, answered_by(response), response.text] += 1
    print(f"\n{len(body)} bytes, {transfer}: {dict(answers)}")
    return answers


def too_large(cap: int) -> str:
    """The API's 413 for a body over `cap` bytes, which nginx's own repeats."""
    return f'{{"detail":"Request body is larger than {cap} bytes"}}'


@pytest.mark.parametrize("transfer", ["plain", "chunked"])
@pytest.mark.parametrize("size", [70_000, 125_000])
def test_bodies_over_the_api_cap_get_nginx_json_413_every_time(
    http: httpx.Client, size: int, transfer: str
) -> None:
    """Given bodies over the API's cap, sent 200 times with a declared length or chunked,
    when they reach nginx, then every one gets nginx's JSON 413, never the backend: never
    a 503 "retry later" for something that can never succeed."""
    cap = api_body_cap(http)

    answers = tally(http, create_body(size), transfer)

    assert answers == {(413, "nginx", too_large(cap)): 200}


@pytest.fixture
def nginx_over_the_api_cap(shared_stack: LocalStack, http: httpx.Client) -> Iterator[Nginx]:
    """A second nginx with the project's config in front of the same backend, its own body
    cap raised to 4 times the API's: bodies over the API's cap reach the backend, which
    answers 413 early, from the declared length, without reading them."""
    with nginx_work_dir() as work_dir:
        nginx = Nginx(work_dir, shared_stack.backend.url, body_cap=4 * api_body_cap(http))
        nginx.start()
        try:
            yield nginx
        finally:
            nginx.stop()


@pytest.mark.parametrize("transfer", ["plain", "chunked"])
def test_an_early_answer_from_the_api_reaches_the_client_every_time(
    nginx_over_the_api_cap: Nginx, http: httpx.Client, transfer: str
) -> None:
    """Given the backend answering before it has read the body nginx is still sending,
    when that happens 200 times, then the client gets the backend's answer every time:
    nginx never turns it into its 503 "unavailable, retry later"."""
    cap = api_body_cap(http)
    with httpx.Client(base_url=nginx_over_the_api_cap.url, timeout=10) as client:
        answers = tally(client, create_body(70_000), transfer)

    assert answers == {(413, "backend", too_large(cap)): 200}


@pytest.mark.parametrize("transfer", ["plain", "chunked"])
def test_nginx_cap_is_the_apis_to_the_byte(http: httpx.Client, transfer: str) -> None:
    """Given the cap the API publishes, a body of exactly that size goes through nginx to
    the API (which creates the task), and one byte more is refused by nginx."""
    cap = api_body_cap(http)

    at_cap = post_task(http, create_body(cap), transfer)
    over_cap = post_task(http, create_body(cap + 1), transfer)

    assert at_cap.status_code == 201, at_cap.text
    assert at_cap.json()["title"] == "pad"
    assert (over_cap.status_code, answered_by(over_cap)) == (413, "nginx")


def test_health_location_answers_without_the_backend(http: httpx.Client) -> None:
    response = http.get("/healthz")

    assert response.status_code == 200
    assert response.text == "ok\n"


def test_backend_down_gives_json_503_then_recovers(
    shared_stack: LocalStack, http: httpx.Client
) -> None:
    shared_stack.backend.stop()
    try:
        down = http.get("/api/tasks")
    finally:
        shared_stack.backend.start()
    after = http.get("/api/tasks")

    assert down.status_code == 503
    assert down.headers["content-type"] == "application/json"
    assert down.json() == {"detail": "The API is unavailable; retry later."}
    assert down.headers["retry-after"] == "5"
    assert_security_headers(down)
    assert after.status_code == 200


def test_the_backend_metrics_are_not_served_through_nginx(
    http: httpx.Client, shared_stack: LocalStack
) -> None:
    assert httpx.get(f"{shared_stack.backend.url}/metrics").status_code == 200  # it has them
    response = http.get("/metrics")

    assert response.status_code == 404
    assert "http_requests_total" not in response.text


def test_nginx_counters_are_on_the_status_port_only(
    http: httpx.Client, shared_stack: LocalStack
) -> None:
    http.get("/api/health")
    status = httpx.get(f"{shared_stack.nginx.status_url}/stub_status")

    assert status.status_code == 200
    counters = re.search(r"Active connections: (\d+).*?(\d+) \d+ \d+", status.text, re.S)
    assert counters is not None, status.text
    active, accepts = counters.groups()
    assert int(active) >= 1
    assert int(accepts) >= 1
    assert httpx.get(f"{shared_stack.nginx.status_url}/").status_code == 404
    assert "Active connections" not in http.get("/stub_status").text  # the app's page there


def test_the_api_port_serves_the_api_and_nothing_else(shared_stack: LocalStack) -> None:
    """The course's localhost:8000 is nginx's second listener: /api only."""
    with httpx.Client(base_url=shared_stack.nginx.api_url, timeout=10) as api:
        tasks = api.get("/api/tasks")
        assert tasks.status_code == 200
        assert tasks.json()[0]["title"] == "Apprendre Docker"
        for path in ("/", "/index.html", f"/assets/{ASSETS[0]}", "/metrics", "/healthz"):
            assert api.get(path).status_code == 404, path


# Every redirect a client can get through nginx: nginx's own (a location's path without its
# trailing slash, on either listener, with or without a query), and the backend's (a path
# with a trailing slash), which nginx passes on.
REDIRECTS = [
    ("app", "/api", "/api/"),
    ("app", "/api?done=true", "/api/?done=true"),
    ("api", "/api", "/api/"),
    ("api", "/api?limit=5", "/api/?limit=5"),
    ("app", "/api/tasks/", "/api/tasks"),
    ("api", "/api/docs/", "/api/docs"),
]


@pytest.mark.parametrize(("listener", "path", "location"), REDIRECTS)
def test_redirects_keep_the_clients_scheme_host_and_port(
    shared_stack: LocalStack, listener: str, path: str, location: str
) -> None:
    """Given nginx reached through another port than it listens on (as the course's
    "3000:80" publishes it) and under another name, when a request is redirected, then the
    Location is a path alone, and following it stays on the port the client used."""
    port = shared_stack.nginx.port if listener == "app" else shared_stack.nginx.api_port
    with TcpForwarder(port) as forwarder, httpx.Client(base_url=forwarder.url) as client:
        redirected = client.get(path, headers={"Host": "tasks.example.com"})
        followed = client.get(path, follow_redirects=True)

    assert redirected.is_redirect, redirected.status_code
    assert redirected.headers["location"] == location
    assert followed.history, "followed without a redirect"
    assert followed.url.port == forwarder.port
    assert "x-request-id" in followed.headers  # the backend answered, through nginx


# ---- nginx's own answers: JSON of the API's shape, on both ports ---------------------------
# nginx answers some requests itself, never asking the backend: those it cannot read (decided
# while reading the request's head, before it chooses a location), those over its limits,
# and those the backend could not answer. Each is JSON, {"detail": ...} as the API's
# (docs/api.md), with the API's headers, on the API's port and under /api on the app's.

LISTENERS = ["app", "api"]


def listener_port(stack: LocalStack, listener: str) -> int:
    return stack.nginx.port if listener == "app" else stack.nginx.api_port


def assert_nginx_json_error(answer: httpx.Response | RawAnswer, status: int, detail: str) -> None:
    got = answer.status_code if isinstance(answer, httpx.Response) else answer.status
    assert got == status
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"detail": detail}
    assert_security_headers(answer)


def get(path: str, *headers: str) -> bytes:
    """A GET request for `path`, with `headers` ("Name: value"), closing the connection."""
    lines = [f"GET {path} HTTP/1.1", "Host: localhost", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


COOKIE_9_KB = "Cookie: " + "; ".join(f"app{n}={'c' * 90}" for n in range(90))
COOKIE_17_KB = "Cookie: " + "; ".join(f"app{n}={'c' * 90}" for n in range(170))

# Requests nginx cannot take, refused while it reads their head: (what, request, status,
# detail).
HEAD_ERRORS = [
    ("a header line without a colon", get("/api/tasks", "Bad Header"), 400, "Bad request"),
    ("no Host header", b"GET /api/tasks HTTP/1.1\r\n\r\n", 400, "Bad request"),
    (
        "a method with a bad character",
        b"G@T /api/tasks HTTP/1.1\r\nHost: a\r\n\r\n",
        400,
        "Bad request",
    ),
    ("a NUL in the path", get("/api/tasks%00"), 400, "Bad request"),
    (
        "both Content-Length and Transfer-Encoding",
        get("/api/tasks", "Content-Length: 1", "Transfer-Encoding: chunked"),
        400,
        "Bad request",
    ),
    ("a 17 KB Cookie", get("/api/tasks", COOKIE_17_KB), 400, "Request header or cookie too large"),
    (
        "five headers of 15 KB",
        get("/api/tasks", *(f"X-Big-{n}: {'h' * 15_000}" for n in range(5))),
        400,
        "Request header or cookie too large",
    ),
    ("a 17 KB query", get(f"/api/tasks?q={'q' * 17_000}"), 414, "Request URI too long"),
    ("HTTP/2.5", b"GET /api/tasks HTTP/2.5\r\nHost: a\r\n\r\n", 505, "HTTP version not supported"),
]


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize(
    ("request_bytes", "status", "detail"),
    [case[1:] for case in HEAD_ERRORS],
    ids=[case[0] for case in HEAD_ERRORS],
)
def test_a_request_nginx_cannot_read_gets_the_apis_json_error(
    shared_stack: LocalStack, listener: str, request_bytes: bytes, status: int, detail: str
) -> None:
    """Given a request whose head nginx refuses before choosing a location (a bad line, a
    header or query over its buffers, an unknown HTTP version), on either port, then the
    answer is JSON in the API's shape, with the security headers, never nginx's page."""
    answer = raw_request(listener_port(shared_stack, listener), request_bytes)

    assert_nginx_json_error(answer, status, detail)
    assert b"<html" not in answer.body


@pytest.mark.parametrize("listener", LISTENERS)
def test_a_9_kb_cookie_or_query_reaches_the_api_and_the_app(
    shared_stack: LocalStack, listener: str
) -> None:
    """Given the cookies other apps on localhost leave (9 KB) or a long query, then the API
    answers through nginx, and the app's page loads on its port."""
    port = listener_port(shared_stack, listener)

    with_cookie = raw_request(port, get("/api/tasks", COOKIE_9_KB))
    long_query = raw_request(port, get(f"/api/tasks?done=false&pad={'q' * 9_000}"))
    page = raw_request(shared_stack.nginx.port, get("/", COOKIE_9_KB))

    assert with_cookie.status == 200, with_cookie.body
    assert with_cookie.json()[0]["title"] == "Apprendre Docker"  # type: ignore[index]
    assert long_query.status == 200, long_query.body
    assert page.status == 200
    assert b'<div id="root">' in page.body


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize(
    "path", ["/api/tasks", "/api/tasks/1", "/api/tasks/summary", "/api/nothing"]
)
def test_trace_gets_the_apis_own_answer_with_its_allow_header(
    shared_stack: LocalStack, listener: str, path: str
) -> None:
    """nginx refuses TRACE itself, before choosing a location: under /api the API answers
    instead, as it does to a client that reaches it directly: its 405 with the path's
    methods in Allow (RFC 9110), or its 404 for a path it does not have."""
    backend = shared_stack.backend.url.rsplit(":", 1)[1]
    direct = raw_request(
        int(backend), f"TRACE {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode()
    )
    answer = raw_request(
        listener_port(shared_stack, listener),
        f"TRACE {path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n".encode(),
    )

    assert (answer.status, answer.json()) == (direct.status, direct.json())
    assert answer.headers.get("allow") == direct.headers.get("allow")
    assert answer.headers["content-type"] == "application/json"
    assert "x-request-id" in answer.headers
    assert_security_headers(answer)


@pytest.mark.parametrize("method", ["POST", "DELETE", "TRACE"])
def test_a_method_the_apps_files_do_not_take_gets_405_with_allow(
    http: httpx.Client, method: str
) -> None:
    response = http.request(method, "/")

    assert_nginx_json_error(response, 405, "Method Not Allowed")
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    ("listener", "path"),
    [("api", "/"), ("api", "/index.html"), ("api", "/healthz"), ("app", "/metrics"),
     ("app", "/assets/missing-0123.js"), ("api", "/.nginx-errors/404"),
     ("app", "/.nginx-errors/503")],
)  # fmt: skip
def test_what_nginx_does_not_serve_is_a_json_404(
    shared_stack: LocalStack, listener: str, path: str
) -> None:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{listener_port(shared_stack, listener)}"
    ) as client:
        # A hashed asset nginx lacks is asked for again once (a 307: another release behind
        # the balancer may have it), then is a 404.
        response = client.get(path, follow_redirects=True)

    assert_nginx_json_error(response, 404, "Not Found")


@pytest.mark.parametrize("listener", LISTENERS)
def test_nginx_own_redirect_to_the_api_is_json_too(shared_stack: LocalStack, listener: str) -> None:
    with httpx.Client(
        base_url=f"http://127.0.0.1:{listener_port(shared_stack, listener)}"
    ) as client:
        response = client.get("/api?done=true")

    assert_nginx_json_error(response, 301, "Moved Permanently")
    assert response.headers["location"] == "/api/?done=true"


@pytest.mark.parametrize("listener", LISTENERS)
def test_a_body_over_the_cap_gets_the_apis_json_413_on_both_ports(
    shared_stack: LocalStack, http: httpx.Client, listener: str
) -> None:
    cap = api_body_cap(http)
    with httpx.Client(
        base_url=f"http://127.0.0.1:{listener_port(shared_stack, listener)}"
    ) as client:
        response = post_task(client, create_body(cap + 1), "plain")

    assert_nginx_json_error(response, 413, f"Request body is larger than {cap} bytes")


def access_log_statuses(nginx: Nginx) -> list[int]:
    """The status of each request in nginx's access log, in order."""
    log = (nginx.work_dir / "access.log").read_text().splitlines()
    return [int(line.split('" ', 1)[1].split()[0]) for line in log if '" ' in line]


def test_a_client_that_stops_sending_is_dropped_after_10_s_without_an_answer(
    shared_stack: LocalStack,
) -> None:
    """Given clients that stop in the middle of a request's head, or of its body, on
    either port, then nginx drops each after its 10 s timeout: it sends no answer at all
    (no HTML page for a client that is no longer reading), and logs 408."""
    stalled = [
        (port, request)
        for port in (shared_stack.nginx.port, shared_stack.nginx.api_port)
        for request in (
            b"GET /api/tasks HTTP/1.1\r\nHost: a\r\n",
            b"POST /api/tasks HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b'Content-Length: 20\r\n\r\n{"title"',
        )
    ]

    with ThreadPoolExecutor(len(stalled)) as pool:
        answers = list(pool.map(lambda case: raw_request(*case), stalled))

    assert [answer.status for answer in answers] == [None] * len(stalled)
    assert all(9 < answer.seconds < 15 for answer in answers), [a.seconds for a in answers]
    assert access_log_statuses(shared_stack.nginx).count(408) >= len(stalled)


class MisbehavingApi:
    """A TCP server in the backend's place that takes each request and then, by `mode`:
    "silent" never answers, "close" closes the connection, "bad-header" answers a status
    line then a broken header. What a hung, crashed or wrong backend looks like to nginx.
    (An answer with no status line at all nginx passes on as it is, as HTTP/0.9.)"""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.url = f"http://127.0.0.1:{free_port()}"
        self._server = socket.create_server(("127.0.0.1", int(self.url.rsplit(":", 1)[1])))
        self._held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            connection.recv(65536)
            if self.mode == "bad-header":
                connection.sendall(b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n")
            if self.mode == "silent":
                self._held.append(connection)
            else:
                connection.close()

    def close(self) -> None:
        self._server.close()
        for connection in self._held:
            connection.close()


@contextmanager
def nginx_before(api: MisbehavingApi, proxy_read_timeout: int | None = None) -> Iterator[Nginx]:
    """nginx with the project's config in front of `api`."""
    with nginx_work_dir() as work_dir:
        nginx = Nginx(work_dir, api.url, proxy_read_timeout=proxy_read_timeout)
        nginx.start()
        try:
            yield nginx
        finally:
            nginx.stop()
            api.close()


@pytest.mark.parametrize("listener", LISTENERS)
@pytest.mark.parametrize("mode", ["close", "bad-header", "silent"])
def test_an_api_that_fails_to_answer_gets_the_json_503_with_retry_after(
    listener: str, mode: str
) -> None:
    """Given a backend that closes the connection or sends a broken header (nginx's 502)
    or never answers (504, its read timeout shortened to 2 s here), then the client gets the
    JSON 503 "retry later" with Retry-After, on either port."""
    with nginx_before(MisbehavingApi(mode), proxy_read_timeout=2) as nginx:
        port = nginx.port if listener == "app" else nginx.api_port
        answer = raw_request(port, get("/api/tasks"))
        logged = access_log_statuses(nginx)

    assert_nginx_json_error(answer, 503, "The API is unavailable; retry later.")
    assert answer.headers["retry-after"] == "5"
    assert logged[-1] == 503
    print(f"\n{mode}: answered in {answer.seconds:.1f} s")


def test_a_client_that_gives_up_waiting_is_logged_499_and_gets_nothing() -> None:
    """Given a backend that never answers and a client that gives up after 1 s, then
    nginx logs 499 (the client closed the connection) and has nothing to send."""
    with nginx_before(MisbehavingApi("silent")) as nginx:
        with socket.create_connection(("127.0.0.1", nginx.port)) as connection:
            connection.sendall(get("/api/tasks"))
            time.sleep(1)
        statuses = poll(lambda: access_log_statuses(nginx) or None, within=10, what="a log line")

    assert statuses == [499]


# ---- Writes when the app is published: a password, and a rate ------------------------------
# docker-compose.yml publishes the app on 127.0.0.1 unless FRONTEND_ADDRESS says otherwise;
# published, writes need WRITE_USER and WRITE_PASSWORD (NGINX_WRITE_USER and
# NGINX_WRITE_PASSWORD in the image), and are limited to 10 a second from one address.

WRITER = ("alice", "correct horse battery staple")


@pytest.fixture
def protected(shared_stack: LocalStack) -> Iterator[Nginx]:
    """A second nginx with the project's config, in front of the same backend, as the image
    runs it with NGINX_WRITE_USER and NGINX_WRITE_PASSWORD set."""
    with nginx_work_dir() as work_dir:
        nginx = Nginx(work_dir, shared_stack.backend.url, writer=WRITER)
        nginx.start()
        try:
            yield nginx
        finally:
            nginx.stop()


@pytest.mark.parametrize("listener", LISTENERS)
def test_published_writes_need_the_password_and_reads_do_not(
    protected: Nginx, listener: str
) -> None:
    port = protected.port if listener == "app" else protected.api_port
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as anyone:
        read = anyone.get("/api/tasks")
        head = anyone.head("/api/tasks")
        refused = anyone.post("/api/tasks", json={"title": "sans mot de passe"})
        guessed = anyone.post("/api/tasks", json={"title": "x"}, auth=(WRITER[0], "guess"))
        created = anyone.post("/api/tasks", json={"title": "avec"}, auth=WRITER)
        task = f"/api/tasks/{created.json()['id']}"
        refused_changes = [anyone.patch(task, json={"done": True}), anyone.delete(task)]
        deleted = anyone.delete(task, auth=WRITER)

    assert (read.status_code, head.status_code) == (200, 200)
    for answer in (refused, guessed, *refused_changes):
        assert_nginx_json_error(
            answer, 401, "Not authenticated: writes need the user and password set for this app"
        )
        assert answer.headers["www-authenticate"] == 'Basic realm="Tasks: writes"'
    assert created.status_code == 201, created.text
    assert deleted.status_code == 204


def send_at_once(url: str, count: int, **request: object) -> tuple[list[httpx.Response], float]:
    """`count` POST /api/tasks to `url` at the same moment, each on its own connection; the
    answers, and the seconds from the first request sent to the last answer (on a busy
    machine, "at once" is spread over that long)."""
    barrier = threading.Barrier(count)
    times: list[float] = []

    def one(number: int) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=10) as client:
            barrier.wait()
            times.append(time.monotonic())
            answer = client.post("/api/tasks", json={"title": f"rafale {number}"}, **request)  # type: ignore[arg-type]
            times.append(time.monotonic())
            return answer

    with ThreadPoolExecutor(count) as pool:
        answers = list(pool.map(one, range(count)))
    return answers, max(times) - min(times)


def write_let_through(nginx: Nginx) -> httpx.Response | None:
    response = httpx.post(f"{nginx.url}/api/tasks", json={"title": "encore"}, auth=WRITER)
    return response if response.status_code == 201 else None


@pytest.mark.parametrize(("auth", "let_through"), [(WRITER, 201), ((WRITER[0], "guess"), 401)])
def test_published_writes_beyond_10_a_second_get_429_with_retry_after(
    protected: Nginx, auth: tuple[str, str], let_through: int
) -> None:
    """Given 60 writes from one address at once, with the password or guessing it, then
    21 are let through (one, and a burst of 20), and one more for each tenth of a second
    the sending took, and the others get the JSON 429 with Retry-After; reads are not
    counted; a moment later writes pass again."""
    answers, seconds = send_at_once(protected.url, 60, auth=auth)
    reads = [httpx.get(f"{protected.url}/api/tasks") for _ in range(10)]
    again = poll(lambda: write_let_through(protected), within=5, what="a write let through")

    limited = [answer for answer in answers if answer.status_code == 429]
    print(f"\n60 writes in {seconds:.2f} s: {Counter(answer.status_code for answer in answers)}")
    # nginx's bucket: 20 of burst on top of the one allowed now, then 10 a second.
    assert 21 <= len(answers) - len(limited) <= 21 + math.ceil(seconds * 10)
    assert limited
    for answer in limited:
        assert_nginx_json_error(answer, 429, "Too many requests; retry later.")
        assert answer.headers["retry-after"] == "1"
    passed = {answer.status_code for answer in answers if answer.status_code != 429}
    assert passed == {let_through}
    assert {read.status_code for read in reads} == {200}
    assert again.status_code == 201


def test_unpublished_writes_are_open_and_not_limited(shared_stack: LocalStack) -> None:
    """Without NGINX_WRITE_USER (the app on 127.0.0.1, the default), writes need nothing
    and 40 at once all pass."""
    answers, _ = send_at_once(shared_stack.nginx.url, 40)

    assert Counter(answer.status_code for answer in answers) == {201: 40}


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"NGINX_WRITE_USER": "alice"}, "has no password (NGINX_WRITE_PASSWORD"),
        ({"NGINX_WRITE_PASSWORD": "secret"}, "no NGINX_WRITE_USER (compose: WRITE_USER)"),
        ({"NGINX_WRITE_USER": 'a"b', "NGINX_WRITE_PASSWORD": "x"}, "may hold letters, digits"),
        ({"NGINX_WRITE_USER": "al", "NGINX_WRITE_PASSWORD_FILE": "/nonexistent"}, "cannot be read"),
        ({"NGINX_WRITE_USER": "alice", "NGINX_WRITE_PASSWORD": "a:b"}, "any character but ':'"),
    ],
)  # fmt: skip
def test_a_write_protection_that_cannot_work_stops_nginx_with_its_reason(
    tmp_path: Path, settings: dict[str, str], message: str
) -> None:
    """The image's start-up script refuses settings that would leave writes open or nginx
    unable to start, before nginx starts, and says which."""
    result = subprocess.run(
        [str(NGINX_PROTECT_WRITES)],
        env={"PATH": os.environ["PATH"], "NGINX_CONF_DIR": str(tmp_path), **settings},
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert message in result.stderr
    assert not (tmp_path / "writers.htpasswd").exists()


def test_the_write_password_can_come_from_a_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "write_password"
    secret.write_text("from a secret")
    result = subprocess.run(
        [str(NGINX_PROTECT_WRITES)],
        env={
            "PATH": os.environ["PATH"],
            "NGINX_CONF_DIR": str(tmp_path),
            "NGINX_WRITE_USER": "bob",
            "NGINX_WRITE_PASSWORD_FILE": str(secret),
        },
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "writers.htpasswd").read_text() == "bob:{PLAIN}from a secret\n"
    assert (tmp_path / "writers.htpasswd").stat().st_mode & 0o777 == 0o600

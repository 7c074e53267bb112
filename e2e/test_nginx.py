"""The project's nginx.conf, for real: the machine's nginx serving the built app in front of
a running backend."""

import re
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from local_stack import LocalStack, Nginx, nginx_work_dir
from paths import DIST_DIR
from tcp_forwarder import TcpForwarder

ASSETS = sorted(path.name for path in (DIST_DIR / "assets").glob("*.js"))


@pytest.fixture
def http(shared_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_stack.url, timeout=10) as client:
        yield client


def assert_security_headers(response: httpx.Response) -> None:
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
    """Given nginx reached through another port than it listens on (as compose publishes
    80 -> 8080) and under another name, when a request is redirected, then the Location is
    a path alone, and following it stays on the port the client used."""
    port = shared_stack.nginx.port if listener == "app" else shared_stack.nginx.api_port
    with TcpForwarder(port) as forwarder, httpx.Client(base_url=forwarder.url) as client:
        redirected = client.get(path, headers={"Host": "tasks.example.com"})
        followed = client.get(path, follow_redirects=True)

    assert redirected.is_redirect, redirected.status_code
    assert redirected.headers["location"] == location
    assert followed.history, "followed without a redirect"
    assert followed.url.port == forwarder.port
    assert "x-request-id" in followed.headers  # the backend answered, through nginx

"""The project's nginx.conf, for real: the machine's nginx serving the built app in front of
a running backend."""

import re
from collections.abc import Iterator

import httpx
import pytest

from local_stack import LocalStack
from paths import DIST_DIR

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
    response = http.get("/assets/missing-0123.js")

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


def test_bodies_over_the_limits_get_json_413(http: httpx.Client) -> None:
    over_api_limit = http.post("/api/tasks", json={"title": "x" * 70_000})
    over_nginx_limit = http.post("/api/tasks", json={"title": "x" * 200_000})

    for response in (over_api_limit, over_nginx_limit):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/json"
        assert "detail" in response.json()


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

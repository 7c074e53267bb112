"""Two releases of the web app behind one balancer, as during a rolling update (Kubernetes
with two replicas and maxSurge 1, or Swarm's update): every page load gets a complete app,
whichever release answers each of its requests."""

import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from harness.network import free_port
from harness.polling import wait_for_http
from harness.servers import UvicornServer, stop_process
from playwright.sync_api import Browser, Response, expect

from stacks.local import Nginx, nginx_command, nginx_work_dir
from support.paths import DIST_DIR

# Page loads through the balancer: each one's requests alternate between the releases.
LOADS = 12
DEMO = ["Apprendre Docker", "Configurer CI/CD"]

# The balancer: nginx's round robin, which sends each request to the next release.
_BALANCER_SITE = """
upstream releases {{
    server 127.0.0.1:{first} max_fails=0;
    server 127.0.0.1:{second} max_fails=0;
}}
server {{
    listen 127.0.0.1:{port};
    location / {{
        proxy_pass http://releases;
        proxy_set_header Host $http_host;
        proxy_next_upstream off;
    }}
}}
"""


def next_release(dist: Path, target: Path) -> None:
    """`dist` copied to `target` as the next build would make it: each hashed asset changed,
    so renamed, and index.html naming the new files."""
    shutil.copytree(dist, target)
    index = target / "index.html"
    html = index.read_text()
    for asset in sorted((target / "assets").iterdir()):
        renamed = asset.with_name(f"{asset.stem}next{asset.suffix}")
        renamed.write_bytes(asset.read_bytes() + b"\n/* the next release */\n")
        asset.unlink()
        html = html.replace(f"/assets/{asset.name}", f"/assets/{renamed.name}")
    assert html != index.read_text(), "index.html names no hashed asset"
    index.write_text(html)


@contextmanager
def balancer(first: Nginx, second: Nginx) -> Iterator[str]:
    """nginx in front of both releases; yields its URL."""
    with nginx_work_dir() as work_dir:
        port = free_port()
        (work_dir / "site.conf").write_text(
            _BALANCER_SITE.format(first=first.port, second=second.port, port=port)
        )
        process = subprocess.Popen(nginx_command(work_dir))
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for_http(f"{url}/healthz")
            yield url
        finally:
            stop_process(process, signal.SIGQUIT)


@pytest.fixture
def two_releases(tmp_path: Path) -> Iterator[str]:
    """This build and the next, each served by the project's nginx, in front of one backend
    (in memory), behind the balancer; yields the balancer's URL."""
    next_dist = tmp_path / "next-dist"
    next_release(DIST_DIR, next_dist)
    with ExitStack() as stack:
        work_dir = stack.enter_context(nginx_work_dir())
        backend = UvicornServer(log=work_dir / "backend.log")
        stack.callback(backend.stop)
        backend.start(use_database=False)
        releases = []
        for dist in (DIST_DIR, next_dist):
            nginx = Nginx(stack.enter_context(nginx_work_dir()), backend.url, dist=dist)
            stack.callback(nginx.stop)
            nginx.start()
            releases.append(nginx)
        yield stack.enter_context(balancer(*releases))


def load_page(browser: Browser, url: str) -> tuple[bool, list[Response]]:
    """`url` opened as a first visit (nothing cached): whether the app came, with its tasks,
    and every answer the page got."""
    context = browser.new_context()
    page = context.new_page()
    answers: list[Response] = []
    page.on("response", lambda answer: answers.append(answer))
    page.goto(url)
    try:
        expect(page.get_by_role("list", name="Tasks").locator(".title")).to_have_text(DEMO)
        complete = True
    except AssertionError:
        complete = False
    context.close()
    return complete, answers


def test_every_page_loaded_while_two_releases_serve_is_complete(
    browser: Browser, two_releases: str, capsys: pytest.CaptureFixture[str]
) -> None:
    blank: list[str] = []
    asked_again = 0
    for load in range(1, LOADS + 1):
        complete, answers = load_page(browser, two_releases)
        if not complete:
            failed = [f"{answer.status} {answer.url}" for answer in answers if answer.status >= 400]
            blank.append(f"load {load}: {failed}")
        asked_again += sum(1 for answer in answers if answer.status == 307)

    with capsys.disabled():  # for the record
        print(
            f"\n{LOADS - len(blank)} of {LOADS} page loads complete with two releases behind "
            f"one balancer; {asked_again} assets asked for again from the other release"
        )
    assert blank == []

"""The app run locally for end-to-end tests, as in production but without containers:
a throwaway PostgreSQL, the backend (uvicorn) against it, and the machine's nginx with
the project's nginx.conf serving the built frontend and forwarding /api."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from string import Template

import httpx
from tests.postgres import free_port, fresh_database

ROOT = Path(__file__).resolve().parents[1]
BACKEND_DIR = ROOT / "backend"
DIST_DIR = ROOT / "frontend" / "dist"
NGINX_TEMPLATE = ROOT / "frontend" / "nginx.conf"
START_TIMEOUT = 30.0


def wait_for(
    url: str,
    *,
    status: int = 200,
    within: float = START_TIMEOUT,
    until: Callable[[httpx.Response], bool] = lambda response: True,
) -> httpx.Response:
    """Poll GET `url` until it answers `status` (and `until` holds), or fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        try:
            response = httpx.get(url, timeout=5)
            if response.status_code == status and until(response):
                return response
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{url} did not answer {status} as expected within {within}s")
        time.sleep(0.1)


def stop_process(process: subprocess.Popen[bytes] | None, stop_signal: int) -> None:
    """Ask `process` to stop with `stop_signal`; kill it if it has not after 10 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Backend:
    """`uvicorn main:app` in a subprocess, which tests may stop and start again."""

    def __init__(self, log_dir: Path, database_url: str | None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self._log = log_dir / "backend.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, *, use_database: bool = True) -> None:
        """Start it, on PostgreSQL by default, or in memory with use_database=False."""
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        if use_database and self.database_url:
            env["DATABASE_URL"] = self.database_url
        env["LOG_FORMAT"] = "json"
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "main:app",
                    "--port",
                    str(self.port),
                    "--timeout-graceful-shutdown",
                    "5",
                ],
                cwd=BACKEND_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(f"{self.url}/api/health/ready")

    def stop(self) -> None:
        stop_process(self._process, signal.SIGTERM)
        self._process = None


class Nginx:
    """The machine's nginx with the project's config, rendered as the nginx image does."""

    def __init__(self, work_dir: Path, backend_url: str) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(binary).exists():
            raise RuntimeError("nginx is not installed (make setup-tests installs it)")
        if not (DIST_DIR / "index.html").exists():
            raise RuntimeError("frontend/dist is missing: build it (cd frontend && bun run build)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # A copy of dist/ in the work folder, which nginx's unprivileged workers can read
        # wherever the checkout is (a private home or temporary folder, say).
        html = work_dir / "html"
        shutil.copytree(DIST_DIR, html)
        site = Template(NGINX_TEMPLATE.read_text()).safe_substitute(
            BACKEND_URL=backend_url,
            NGINX_PORT=str(self.port),
            NGINX_RESOLVER="127.0.0.1",
            NGINX_ROOT=str(html),
        )
        (work_dir / "site.conf").write_text(site)
        (work_dir / "nginx.conf").write_text(
            _MAIN_CONFIG.format(work=work_dir, user=_worker_user())
        )
        self._command = [binary, "-p", str(work_dir), "-c", str(work_dir / "nginx.conf")]
        self._process: subprocess.Popen[bytes] | None = None
        self._log = work_dir / "error.log"

    def start(self) -> None:
        subprocess.run([*self._command, "-t", "-q"], check=True)
        self._process = subprocess.Popen(self._command)
        wait_for(f"{self.url}/healthz")

    def stop(self) -> None:
        stop_process(self._process, signal.SIGQUIT)  # graceful: finish open requests
        self._process = None


def _worker_user() -> str:
    # Run as root, nginx would run its workers as "nobody"; say it outright.
    return "user nobody nogroup;" if os.geteuid() == 0 else ""


# The main nginx.conf the official image ships, in short: the project's file goes in http{}.
_MAIN_CONFIG = """
{user}
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {work}/access.log;
    sendfile on;
    client_body_temp_path {work}/client_body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {work}/site.conf;
}}
"""


class LocalStack:
    """PostgreSQL + backend + nginx; `url` is what a browser opens."""

    def __init__(self, backend: Backend, nginx: Nginx) -> None:
        self.backend = backend
        self.nginx = nginx
        self.url = nginx.url

    def stop_backend(self) -> None:
        self.backend.stop()

    def start_backend(self) -> None:
        self.backend.start()

    def restart_backend_in_memory(self) -> None:
        self.backend.stop()
        self.backend.start(use_database=False)


@contextmanager
def local_stack(server_url: str | None) -> Iterator[LocalStack]:
    """Start a backend on a fresh database of `server_url` (in memory when None), and nginx
    in front of it; stop both afterwards, also when a test fails."""
    with ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tasks-e2e-")))
        # nginx's workers (not root) must reach the files below it.
        work_dir.chmod(0o755)
        database_url = stack.enter_context(fresh_database(server_url)) if server_url else None
        backend = Backend(work_dir, database_url)
        stack.callback(backend.stop)
        backend.start()
        nginx = Nginx(work_dir, backend.url)
        stack.callback(nginx.stop)
        nginx.start()
        yield LocalStack(backend, nginx)

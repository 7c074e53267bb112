"""The app run locally for end-to-end tests, as in production but without containers:
a throwaway PostgreSQL, the backend (uvicorn) against it, and the machine's nginx with
the project's nginx.conf serving the built frontend and forwarding /api."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from string import Template

from harness.network import free_port
from harness.polling import wait_for_http
from harness.postgres import fresh_database
from harness.servers import UvicornServer, stop_process

from paths import DIST_DIR, NGINX_API_LIMITS, NGINX_TEMPLATE


class Nginx:
    """The machine's nginx with the project's config, rendered as the nginx image does."""

    def __init__(
        self,
        work_dir: Path,
        backend_url: str,
        *,
        body_cap: int | None = None,
        dist: Path = DIST_DIR,
    ) -> None:
        """`body_cap` in place of the API's, for tests of what nginx does without it;
        `dist`, a build of the web app other than frontend/dist (another release's)."""
        if not (dist / "index.html").exists():
            raise RuntimeError("frontend/dist is missing: build it (cd frontend && bun run build)")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.status_url = f"http://127.0.0.1:{free_port()}"
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        # A copy of dist/ in the work folder, which nginx's unprivileged workers can read
        # wherever the checkout is (a private home or temporary folder, say).
        html = work_dir / "html"
        shutil.copytree(dist, html)
        site = Template(NGINX_TEMPLATE.read_text()).safe_substitute(
            BACKEND_URL=backend_url,
            NGINX_PORT=str(self.port),
            NGINX_RESOLVER="127.0.0.1",
            NGINX_ROOT=str(html),
            NGINX_STATUS_PORT=self.status_url.rsplit(":", 1)[1],
            NGINX_API_PORT=str(self.api_port),
        )
        (work_dir / "site.conf").write_text(site)
        # Beside the main config, where the image has it (/etc/nginx/): the site's relative
        # `include` finds it there.
        limits = NGINX_API_LIMITS.read_text()
        if body_cap is not None:
            limits = re.sub(r"(client_max_body_size|default) \d+;", rf"\1 {body_cap};", limits)
        (work_dir / NGINX_API_LIMITS.name).write_text(limits)
        self._command = nginx_command(work_dir)
        self._process: subprocess.Popen[bytes] | None = None
        self._log = work_dir / "error.log"

    def start(self) -> None:
        subprocess.run([*self._command, "-t", "-q"], check=True)
        self._process = subprocess.Popen(self._command)
        wait_for_http(f"{self.url}/healthz")

    def stop(self) -> None:
        stop_process(self._process, signal.SIGQUIT)  # graceful: finish open requests
        self._process = None


def nginx_command(work_dir: Path) -> list[str]:
    """The command that runs the machine's nginx on `work_dir`'s site.conf, inside the main
    config the official image ships (written to `work_dir` too)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    (work_dir / "nginx.conf").write_text(_MAIN_CONFIG.format(work=work_dir, user=_worker_user()))
    return [binary, "-p", str(work_dir), "-c", str(work_dir / "nginx.conf")]


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

    def __init__(self, backend: UvicornServer, nginx: Nginx) -> None:
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
def nginx_work_dir() -> Iterator[Path]:
    """A temporary folder for nginx's files, which its workers (not root) can reach."""
    with tempfile.TemporaryDirectory(prefix="tasks-e2e-") as name:
        work_dir = Path(name)
        work_dir.chmod(0o755)
        yield work_dir


@contextmanager
def local_stack(server_url: str | None) -> Iterator[LocalStack]:
    """Start a backend on a fresh database of `server_url` (in memory when None), and nginx
    in front of it; stop both afterwards, also when a test fails."""
    with ExitStack() as stack:
        work_dir = stack.enter_context(nginx_work_dir())
        database_url = stack.enter_context(fresh_database(server_url)) if server_url else None
        backend = UvicornServer(database_url=database_url, log=work_dir / "backend.log")
        stack.callback(backend.stop)
        backend.start()
        nginx = Nginx(work_dir, backend.url)
        stack.callback(nginx.stop)
        nginx.start()
        yield LocalStack(backend, nginx)

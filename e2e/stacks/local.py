"""The app run locally for end-to-end tests, as in production but without containers:
a throwaway PostgreSQL, the backend (uvicorn) against it, and the machine's nginx with
the project's nginx.conf serving the built frontend and forwarding /api."""

import os
import pwd
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

from support.paths import (
    DIST_DIR,
    NGINX_API_LIMITS,
    NGINX_MAIN,
    NGINX_PROTECT_WRITES,
    NGINX_TEMPLATE,
)


class Nginx:
    """The machine's nginx with the project's config, rendered as the nginx image does."""

    def __init__(
        self,
        work_dir: Path,
        backend_url: str,
        *,
        body_cap: int | None = None,
        proxy_read_timeout: int | None = None,
        writer: tuple[str, str] | None = None,
        dist: Path = DIST_DIR,
    ) -> None:
        """`body_cap` in place of the API's, for tests of what nginx does without it;
        `proxy_read_timeout` (seconds) in place of the config's, for tests of a backend that
        never answers; `writer`, (user, password), as NGINX_WRITE_USER and
        NGINX_WRITE_PASSWORD give them to the image: writes then need them; `dist`, a build
        of the web app other than frontend/dist (another release's)."""
        if not (dist / "index.html").exists():
            raise RuntimeError("frontend/dist is missing: build it (cd frontend && bun run build)")
        self.work_dir = work_dir
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
            NGINX_WRITE_USER=writer[0] if writer else "",
        )
        if proxy_read_timeout is not None:
            site = re.sub(
                r"proxy_read_timeout \d+s;", f"proxy_read_timeout {proxy_read_timeout}s;", site
            )
        (work_dir / "site.conf").write_text(site)
        # Beside the main config, where the image has it (/etc/nginx/): the site's relative
        # `include` finds it there.
        limits = NGINX_API_LIMITS.read_text()
        if body_cap is not None:
            limits = re.sub(r"(client_max_body_size|default) \d+;", rf"\1 {body_cap};", limits)
        (work_dir / NGINX_API_LIMITS.name).write_text(limits)
        if writer:
            write_password_file(work_dir / "conf.d", *writer)
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
    """The command that runs the machine's nginx on `work_dir`'s site.conf, inside the
    image's main config (written to `work_dir` too), in the foreground as the image runs it."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        raise RuntimeError("nginx is not installed (apt-get install nginx)")
    (work_dir / "nginx.conf").write_text(main_config(work_dir))
    return [binary, "-p", str(work_dir), "-c", str(work_dir / "nginx.conf"), "-g", "daemon off;"]


def write_password_file(conf_dir: Path, user: str, password: str) -> None:
    """What the image's start-up script writes for NGINX_WRITE_USER, by that script, into
    `conf_dir`, owned by the user nginx's workers run as (the image's nginx user owns it)."""
    conf_dir.mkdir()
    subprocess.run(
        [str(NGINX_PROTECT_WRITES)],
        env={
            "PATH": os.environ["PATH"],
            "NGINX_CONF_DIR": str(conf_dir),
            "NGINX_WRITE_USER": user,
            "NGINX_WRITE_PASSWORD": password,
        },
        check=True,
        capture_output=True,
    )
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(conf_dir / "writers.htpasswd", nobody.pw_uid, nobody.pw_gid)


def main_config(work_dir: Path) -> str:
    """The image's main nginx.conf (worker processes and connections as in production),
    with its paths in `work_dir` and the site's config included."""
    config = NGINX_MAIN.read_text()
    for image_path, here in [
        ("/tmp/", f"{work_dir}/"),
        ("/var/log/nginx/", f"{work_dir}/"),
        ("/etc/nginx/conf.d/*.conf", f"{work_dir}/site.conf"),
    ]:
        if image_path not in config:
            raise RuntimeError(f"{NGINX_MAIN} no longer names {image_path}: update main_config")
        config = config.replace(image_path, here)
    # Run as root, nginx would run its workers as "nobody"; say it outright.
    return ("user nobody nogroup;\n" if os.geteuid() == 0 else "") + config


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

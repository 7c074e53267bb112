"""`docker build` as the tests run it: BuildKit, and on a test machine where no registry
answers, the stand-in base images (.ci/standin-images) as build arguments."""

import os

# The build arguments that choose the base images (see the Dockerfiles' first lines).
BASE_IMAGE_ARGS = ("PYTHON_IMAGE", "UV_IMAGE", "BUN_IMAGE", "NGINX_IMAGE")


def buildkit_env() -> dict[str, str]:
    """The environment with a docker client that builds with BuildKit first on the PATH:
    the machine's own, or, where it has no buildx, the one .ci/docker.sh prepared."""
    env = dict(os.environ)
    if env.get("BUILDKIT_CLIENT_DIR"):
        env["PATH"] = f"{env['BUILDKIT_CLIENT_DIR']}:{env['PATH']}"
    return env


def stand_in_build_args() -> list[str]:
    """Nothing where a registry answers; elsewhere --build-arg NAME=stand-in for each."""
    return [
        f"--build-arg={name}={os.environ[name]}" for name in BASE_IMAGE_ARGS if os.environ.get(name)
    ]

"""Where things are in the repository, for every end-to-end test."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The production build of the web app (cd frontend && bun run build).
DIST_DIR = ROOT / "frontend" / "dist"
# nginx's config, a template the nginx image renders at start-up.
NGINX_TEMPLATE = ROOT / "frontend" / "nginx.conf"
# nginx's main config in the image, which includes it.
NGINX_MAIN = ROOT / "frontend" / "nginx" / "nginx.conf"
# The image's start-up script that writes the password file writes need (NGINX_WRITE_USER).
NGINX_PROTECT_WRITES = ROOT / "frontend" / "nginx" / "30-protect-writes.sh"
# The frontend image, whose ENV says where nginx listens (NGINX_PORT, NGINX_API_PORT).
FRONTEND_DOCKERFILE = ROOT / "frontend" / "Dockerfile"
# What it includes, generated from the API's OpenAPI document (scripts/api-types).
NGINX_API_LIMITS = ROOT / "frontend" / "nginx" / "api-limits.conf"
# Prometheus's checker of configs, rules and queries, from Debian's package (scripts/lib.sh).
PROMTOOL = ROOT / ".tools" / "bin" / "promtool"

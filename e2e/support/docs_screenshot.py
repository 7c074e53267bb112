"""The docs' picture of the app (docs/images/app.png), taken from the browser tests' own
stack: the built app behind the project's nginx, the backend on a throwaway PostgreSQL
as in compose. Made on purpose, never by a test run:  scripts/screenshot"""

import sys
from pathlib import Path

import httpx
from harness.postgres import postgres_for_tests
from playwright.sync_api import ViewportSize, sync_playwright

from stacks.local import local_stack
from support.chromium import CHROMIUM, CHROMIUM_FLAGS
from support.paths import ROOT

OUTPUT = ROOT / "docs" / "images" / "app.png"
# A desktop window small enough for a README, large enough to read.
VIEWPORT: ViewportSize = {"width": 900, "height": 500}
# Beside the two demo tasks: what a learner's list looks like a few minutes in.
ADDED = ["Écrire le Dockerfile du backend", "docker compose up -d --build --wait"]


def take(output: Path) -> None:
    with postgres_for_tests() as server, local_stack(server) as stack, sync_playwright() as pw:
        api = f"{stack.url}/api/tasks"
        for title in ADDED:
            httpx.post(api, json={"title": title}, timeout=10).raise_for_status()
        httpx.patch(f"{api}/1", json={"done": True}, timeout=10).raise_for_status()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport=VIEWPORT, color_scheme="light")
        page.goto(stack.url)
        page.get_by_text(ADDED[-1]).wait_for()
        output.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=output)
        browser.close()
    print(f"wrote {output.relative_to(ROOT)} ({output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    take(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)

"""Debian's Chromium, started as the browser tests and the docs' screenshot start it."""

import os

# By its path: a test tool's own browser download cannot work on machines without the
# internet. CHROMIUM_PATH names another one (a CI runner's Chrome).
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# They keep it from reaching out to the network on its own (updates, sync, QUIC probes).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

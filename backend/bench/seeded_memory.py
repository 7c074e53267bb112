"""The backend as users run it, in memory, with BENCH_TASKS tasks already created (every
other one done), for the benchmark's large in-memory scenarios: a million tasks through
HTTP would take longer to create than to measure.
    BENCH_TASKS=1000000 uvicorn bench.seeded_memory:app
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.app import create_app

app = create_app()
_lifespan = app.router.lifespan_context


@asynccontextmanager
async def _seeded(app: FastAPI) -> AsyncIterator[None]:
    async with _lifespan(app):
        store = app.state.store
        for number in range(int(os.environ.get("BENCH_TASKS", "0"))):
            await store.create(title=f"Tâche numéro {number}", done=number % 2 == 1)
        yield


app.router.lifespan_context = _seeded

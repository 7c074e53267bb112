"""The store reaches every route through one FastAPI dependency (app/routes/deps.py), so
that `app.dependency_overrides` can put another store behind all of them."""

import httpx
import pytest
from asgi_lifespan import LifespanManager

from app.app import create_app
from app.routes.deps import get_store
from app.store.memory import MemoryTaskStore
from harness.app import make_settings

pytestmark = pytest.mark.anyio


async def test_an_overridden_store_serves_every_route() -> None:
    # Given an app whose store dependency is overridden by another, real, store
    app = create_app(make_settings(None))
    other = MemoryTaskStore(max_tasks=10, key_ttl=60.0, max_keys=10)
    await other.delete(task_id=1)
    await other.update(task_id=2, title="D'un autre magasin", done=True)
    app.dependency_overrides[get_store] = lambda: other

    # When every kind of route is called
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            listed = await client.get("/api/tasks")
            read = await client.get("/api/tasks/2")
            created = await client.post("/api/tasks", json={"title": "Ici"})
            summary = await client.get("/api/tasks/summary")
            gone = await client.get("/api/tasks/1")
            ready = await client.get("/api/health/ready")

    # Then each answered from the overriding store, never from the app's own
    assert listed.json() == [{"id": 2, "title": "D'un autre magasin", "done": True}]
    assert read.json()["title"] == "D'un autre magasin"
    assert created.status_code == 201
    assert [task[1] for task in await other.list(done=None, after_id=0, limit=10)] == [
        "D'un autre magasin",
        "Ici",
    ]
    assert summary.json() == {"total": 2, "done": 1, "open": 1}
    assert gone.status_code == 404
    assert ready.json() == {"status": "ok", "storage": "memory"}

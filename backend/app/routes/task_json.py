"""Task rows straight to JSON bytes: the bytes FastAPI's JSONResponse would send.

Validating and serialising a model per row would cost more than the query itself;
routes declare their response model for the OpenAPI schema and send these bytes.
orjson writes exactly what json.dumps(..., ensure_ascii=False, separators=(",", ":"))
does for ids, titles and booleans (tests/routes/test_task_json.py checks it), faster.
"""

from collections.abc import Sequence

import orjson
from fastapi.responses import Response

from app.store import TaskRow


def task_json(row: TaskRow) -> bytes:
    task_id, title, done = row
    return orjson.dumps({"id": task_id, "title": title, "done": done})


def tasks_json(rows: Sequence[TaskRow]) -> bytes:
    return orjson.dumps(
        [{"id": task_id, "title": title, "done": done} for task_id, title, done in rows]
    )


class JSONBytes(Response):
    """A response whose body is JSON already rendered."""

    media_type = "application/json"

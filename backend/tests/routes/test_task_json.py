"""Rows rendered by app/routes/task_json.py are byte for byte what FastAPI would send."""

import json
import random

from app.routes.task_json import task_json, tasks_json

# FastAPI's JSONResponse.render
fastapi_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def random_title(rng: random.Random) -> str:
    """Any code point a title may hold: ASCII (controls included), the rest of the BMP
    and the astral planes, without lone surrogates (which titles never contain)."""
    ranges = [(0, 0x7F), (0x80, 0xD7FF), (0xE000, 0xFFFF), (0x10000, 0x10FFFF)]
    return "".join(chr(rng.randint(*rng.choice(ranges))) for _ in range(rng.randint(0, 20)))


def test_rendered_rows_are_the_bytes_fastapi_would_send() -> None:
    rng = random.Random(20261129)  # fixed: the same cases every run
    rows = [
        (rng.randint(1, 2**63 - 1), random_title(rng), rng.random() < 0.5) for _ in range(20_000)
    ]

    for row in rows:
        as_dict = {"id": row[0], "title": row[1], "done": row[2]}
        assert task_json(row) == fastapi_json(as_dict).encode()
    assert (
        tasks_json(rows)
        == fastapi_json([{"id": r[0], "title": r[1], "done": r[2]} for r in rows]).encode()
    )
    assert tasks_json([]) == b"[]"

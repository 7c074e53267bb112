"""Entry point: `uv run uvicorn main:app --reload` (see app/app.py for the wiring)."""

from app.app import create_app

app = create_app()

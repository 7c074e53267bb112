"""HTTP routes; they see only the TaskStore interface, never the storage behind it."""

from fastapi import APIRouter

from app.routes import health, tasks

# Each resource's router, mounted under /api by create_app().
routers: list[APIRouter] = [health.router, tasks.router]

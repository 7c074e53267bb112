"""HTTP routes; they see only the TaskStore interface, never the storage behind it."""

from fastapi import APIRouter

from app.routes import health, tasks

api_router = APIRouter()
api_router.include_router(health.router)
api_router.include_router(tasks.router)

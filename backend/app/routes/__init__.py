"""HTTP routes; they see only the TaskStore interface, never the storage behind it."""

from fastapi import APIRouter

from app.routes import health, tasks

# Under /api, so that the frontend's nginx forwards every route (see frontend/nginx.conf).
API_PREFIX = "/api"
# Each resource's router, mounted under API_PREFIX by create_app(). FastAPI tries routes
# in order: the tasks first, the most requested (the list and the create lead in tasks.py).
routers: list[APIRouter] = [tasks.router, health.router]

"""The benchmark's other yardstick: the task list as a typical course solution writes it,
FastAPI with a synchronous SQLModel session per request (routes run in the thread pool).
    DATABASE_URL=... uvicorn bench.baselines.course_solution:app
"""

import os
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, FastAPI
from sqlmodel import Field, Session, SQLModel, col, create_engine, select


class Task(SQLModel, table=True):
    __tablename__ = "tasks"

    id: int | None = Field(default=None, primary_key=True)
    title: str
    done: bool = False


engine = create_engine(
    os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1),
    pool_size=5,
    max_overflow=5,
)
app = FastAPI()


def get_session() -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@app.get("/api/tasks")
def list_tasks(
    session: Annotated[Session, Depends(get_session)], limit: int = 100, after_id: int = 0
) -> list[Task]:
    statement = select(Task).where(col(Task.id) > after_id).order_by(col(Task.id)).limit(limit)
    return list(session.exec(statement).all())

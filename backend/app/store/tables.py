"""The database schema, as SQLAlchemy Core tables; Alembic migrations follow it."""

import sqlalchemy as sa

from app.schemas import MAX_TASK_ID
from app.title import TITLE_MAX_LENGTH

# Explicit constraint names, so that migrations can refer to them (fastapi-best-practices).
metadata = sa.MetaData(
    naming_convention={
        "pk": "%(table_name)s_pkey",
        "ck": "%(table_name)s_%(constraint_name)s_check",
    }
)

tasks = sa.Table(
    "tasks",
    metadata,
    # ALWAYS: ids come from the database alone, so a client can never pick one.
    sa.Column(
        "id", sa.BigInteger, sa.Identity(always=True, maxvalue=MAX_TASK_ID), primary_key=True
    ),
    sa.Column("title", sa.String(TITLE_MAX_LENGTH), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("char_length(title) >= 1", name="title_not_empty"),
    # Pages of the done filter (WHERE done = ? AND id > ? ORDER BY id), at any depth.
    sa.Index("tasks_done_id_idx", "done", "id"),
)

# POSTs' Idempotency-Keys (migration 0004): the body's fingerprint, and the task as created.
idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("fingerprint", sa.LargeBinary, nullable=False),
    sa.Column("task_id", sa.BigInteger, nullable=False),
    sa.Column("title", sa.String(TITLE_MAX_LENGTH), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    ),
    sa.Index("idempotency_keys_created_at_idx", "created_at"),
)

# The number of tasks and of done ones (migration 0005), kept by statement triggers on
# tasks: one row, so that GET /api/tasks/summary never counts.
task_counts = sa.Table(
    "task_counts",
    metadata,
    sa.Column("id", sa.Boolean, primary_key=True, server_default=sa.true()),
    sa.Column("total", sa.BigInteger, nullable=False),
    sa.Column("done", sa.BigInteger, nullable=False),
    sa.CheckConstraint("id", name="one_row"),
)

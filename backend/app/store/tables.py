"""The database schema, as SQLAlchemy Core tables; Alembic migrations follow it."""

import sqlalchemy as sa

from app.schemas import TITLE_MAX_LENGTH

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
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("title", sa.String(TITLE_MAX_LENGTH), nullable=False),
    sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.CheckConstraint("char_length(title) >= 1", name="title_not_empty"),
)

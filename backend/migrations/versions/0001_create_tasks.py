"""Create the tasks table with the course's two demo tasks.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tasks = op.create_table(
        "tasks",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("done", sa.Boolean, server_default=sa.false(), nullable=False),
        sa.CheckConstraint("char_length(title) >= 1", name="tasks_title_not_empty_check"),
        sa.PrimaryKeyConstraint("id", name="tasks_pkey"),
    )
    # Inserted here, once, with the schema: deleted demo tasks never come back.
    # The titles are written out (not imported) so that this migration never changes.
    op.bulk_insert(
        tasks,
        [
            {"title": "Apprendre Docker", "done": False},
            {"title": "Configurer CI/CD", "done": False},
        ],
    )


def downgrade() -> None:
    op.drop_table("tasks")

"""Rename the title check constraint to the name the naming convention gives.

0001 passed a name that already had the convention's prefix and suffix, so the
convention wrapped it again: tasks_tasks_title_not_empty_check_check.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE tasks RENAME CONSTRAINT tasks_tasks_title_not_empty_check_check"
        " TO tasks_title_not_empty_check"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE tasks RENAME CONSTRAINT tasks_title_not_empty_check"
        " TO tasks_tasks_title_not_empty_check_check"
    )

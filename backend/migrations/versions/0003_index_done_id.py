"""Index tasks on (done, id), for the done filter.

Without it, a page of done (or open) tasks after a deep cursor scans every task from the
start; with it, any page of the list costs the same at 1,000 or 1,000,000 tasks.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("tasks_done_id_idx", "tasks", ["done", "id"])


def downgrade() -> None:
    op.drop_index("tasks_done_id_idx", table_name="tasks")

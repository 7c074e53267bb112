"""Stop task ids at 2^53 - 1, the largest integer a JavaScript client holds exactly.

A browser reads JSON numbers as doubles: past Number.MAX_SAFE_INTEGER (9007199254740991)
neighbouring ids read as the same number, and a web app sending back an id it read
would change another task. The sequence's MAXVALUE makes the database refuse to hand
one out (SQLSTATE 2200H, which the API answers with a 507 saying so).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The number is written out (not imported) so that this migration never changes. A
    # database whose ids went past it already cannot keep the promise: say so, and change
    # nothing (PostgreSQL would refuse the MAXVALUE with a less telling error).
    op.execute(
        """
        DO $$
        BEGIN
            IF (SELECT max(id) FROM tasks) > 9007199254740991 THEN
                RAISE EXCEPTION 'tasks holds ids above 2^53 - 1: renumber them first';
            END IF;
        END $$
        """
    )
    op.execute("ALTER TABLE tasks ALTER COLUMN id SET MAXVALUE 9007199254740991")


def downgrade() -> None:
    op.execute("ALTER TABLE tasks ALTER COLUMN id SET NO MAXVALUE")

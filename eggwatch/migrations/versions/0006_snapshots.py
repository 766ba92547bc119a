"""Snapshots: ``alert.row`` widened to 64 characters (a row tag's limit) so long row names are no
longer clipped.

Revision ID: 0006_snapshots
Revises: 0003_payroll_guards
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_snapshots"
down_revision = "0003_payroll_guards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column(
            "row", existing_type=sa.String(length=16), type_=sa.String(length=64), existing_nullable=True
        )


def downgrade() -> None:
    # Rows longer than 16 would not fit back: clip them as the code before this revision did.
    op.execute("""UPDATE alert SET "row" = substr("row", 1, 15) || '…' WHERE length("row") > 16""")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.alter_column(
            "row", existing_type=sa.String(length=64), type_=sa.String(length=16), existing_nullable=True
        )

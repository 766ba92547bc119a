"""Snapshots: the household on each dividend (as it was when the dividend was made; here from the
current households for dividends made before), and ``alert.row`` widened to 64 characters (a row
tag's limit) so long row names are no longer clipped.

Revision ID: 0006_snapshots
Revises: 0005_login_attempts
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_snapshots"
down_revision = "0005_login_attempts"
branch_labels = None
depends_on = None

# dividends column -> households column
SNAPSHOT = (
    ("household_code", "code", sa.String(length=40)),
    ("household_village", "village", sa.String(length=80)),
    ("household_township", "township", sa.String(length=80)),
    ("household_members", "members", sa.Integer()),
    ("household_registered_poor", "registered_poor", sa.Boolean()),
)


def upgrade() -> None:
    with op.batch_alter_table("dividends", schema=None) as batch_op:
        for col, _, type_ in SNAPSHOT:
            batch_op.add_column(sa.Column(col, type_, nullable=True))
    # Dividends made before: the household as it is now is the best record there is.
    sets = ", ".join(
        f"{col} = (SELECT h.{src} FROM households h WHERE h.id = dividends.household_id)"
        for col, src, _ in SNAPSHOT
    )
    op.execute(f"UPDATE dividends SET {sets}")
    with op.batch_alter_table("dividends", schema=None) as batch_op:
        for col, _, type_ in SNAPSHOT:
            batch_op.alter_column(col, existing_type=type_, nullable=False)
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
    with op.batch_alter_table("dividends", schema=None) as batch_op:
        for col, _, _ in reversed(SNAPSHOT):
            batch_op.drop_column(col)

"""Payroll guards: the household snapshot on payroll lines (filled at approval; here from the
current households for runs already approved or paid) and the inputs hash of payroll runs.

Revision ID: 0003_payroll_guards
Revises: 0002_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_payroll_guards"
down_revision = "0002_alerts"
branch_labels = None
depends_on = None

SNAPSHOT = (
    ("household_code", "code"),
    ("household_village", "village"),
    ("household_township", "township"),
    ("household_members", "members"),
    ("household_registered_poor", "registered_poor"),
)


def upgrade() -> None:
    with op.batch_alter_table("payroll_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inputs_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("household_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("household_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("household_village", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("household_township", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("household_members", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("household_registered_poor", sa.Boolean(), nullable=True))
    # Runs approved before this revision: snapshot the households as they are now (the best record).
    op.execute(
        "UPDATE payroll_lines SET household_id = "
        "(SELECT w.household_id FROM workers w WHERE w.id = payroll_lines.worker_id) "
        "WHERE run_id IN (SELECT r.id FROM payroll_runs r WHERE r.status IN ('approved', 'paid'))"
    )
    sets = ", ".join(
        f"{col} = (SELECT h.{src} FROM households h WHERE h.id = payroll_lines.household_id)"
        for col, src in SNAPSHOT
    )
    op.execute(f"UPDATE payroll_lines SET {sets} WHERE household_id IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        for col in ("household_registered_poor", "household_members", "household_township",
                    "household_village", "household_code", "household_id"):  # fmt: skip
            batch_op.drop_column(col)
    with op.batch_alter_table("payroll_runs", schema=None) as batch_op:
        batch_op.drop_column("inputs_hash")

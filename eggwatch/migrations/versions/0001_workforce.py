"""Workforce tables: households, workers, users, locations, tasks, shifts, rules, payroll, dividends, audit.

Revision ID: 0001_workforce
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_workforce"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("village", sa.String(length=80), nullable=False),
        sa.Column("township", sa.String(length=80), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("registered_poor", sa.Boolean(), nullable=False),
        sa.Column("poverty_exit_year", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_households")),
        sa.UniqueConstraint("code", name=op.f("uq_households_code")),
    )
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_households_township"), ["township"], unique=False)
        batch_op.create_index(batch_op.f("ix_households_village"), ["village"], unique=False)

    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("unit", name=op.f("uq_locations_unit")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("name_zh", sa.String(length=80), nullable=True),
        sa.Column("output", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("code", name=op.f("uq_tasks_code")),
    )
    op.create_table(
        "dividends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("basis", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_dividends_household_id_households"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dividends")),
    )
    with op.batch_alter_table("dividends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dividends_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_dividends_paid_on"), ["paid_on"], unique=False)

    op.create_table(
        "piece_rate_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("base_per_hour_fen", sa.BigInteger(), nullable=False),
        sa.Column("base_per_shift_fen", sa.BigInteger(), nullable=False),
        sa.Column("per_1000_eggs_fen", sa.BigInteger(), nullable=False),
        sa.Column("per_case_fen", sa.BigInteger(), nullable=False),
        sa.Column("per_tray_fen", sa.BigInteger(), nullable=False),
        sa.Column("deduction_per_1000_rejects_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_piece_rate_rules_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_piece_rate_rules_task_id_tasks"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_piece_rate_rules")),
    )
    with op.batch_alter_table("piece_rate_rules", schema=None) as batch_op:
        batch_op.create_index("ix_rules_task_from", ["task_id", "effective_from"], unique=False)

    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("national_id_enc", sa.Text(), nullable=False),
        sa.Column("national_id_hash", sa.String(length=64), nullable=False),
        sa.Column("national_id_masked", sa.String(length=18), nullable=False),
        sa.Column("phone_enc", sa.Text(), nullable=True),
        sa.Column("bank_account_enc", sa.Text(), nullable=True),
        sa.Column("full_time", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("hired_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_workers_household_id_households"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("national_id_hash", name=op.f("uq_workers_national_id_hash")),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workers_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_workers_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_workers_name"), ["name"], unique=False)

    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("break_minutes", sa.Integer(), nullable=False),
        sa.Column("entered_count", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("break_minutes >= 0", name=op.f("ck_shifts_break_non_negative")),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_shifts_end_after_start")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_shifts_location_id_locations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_shifts_task_id_tasks"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_shifts_worker_id_workers"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index("ix_shifts_location_start", ["location_id", "start_at"], unique=False)
        batch_op.create_index("ix_shifts_start", ["start_at"], unique=False)
        batch_op.create_index("ix_shifts_worker_start", ["worker_id", "start_at"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_users_worker_id_workers"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.BigInteger(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_audit_log_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "payroll_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("min_monthly_fen", sa.BigInteger(), nullable=False),
        sa.Column("min_hourly_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_payroll_runs_approved_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_payroll_runs_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_runs")),
    )
    with op.batch_alter_table("payroll_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payroll_runs_period_start"), ["period_start"], unique=False)
        batch_op.create_index(batch_op.f("ix_payroll_runs_status"), ["status"], unique=False)

    op.create_table(
        "user_units",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_units_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "unit", name=op.f("pk_user_units")),
    )
    with op.batch_alter_table("user_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_units_unit"), ["unit"], unique=False)

    op.create_table(
        "payroll_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_payroll_adjustments_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payroll_runs.id"],
            name=op.f("fk_payroll_adjustments_run_id_payroll_runs"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_payroll_adjustments_worker_id_workers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_adjustments")),
    )
    with op.batch_alter_table("payroll_adjustments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payroll_adjustments_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payroll_adjustments_worker_id"), ["worker_id"], unique=False)

    op.create_table(
        "payroll_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=10, scale=2, asdecimal=False), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("eggs", sa.BigInteger(), nullable=False),
        sa.Column("cases", sa.BigInteger(), nullable=False),
        sa.Column("trays", sa.BigInteger(), nullable=False),
        sa.Column("base_fen", sa.BigInteger(), nullable=False),
        sa.Column("piece_fen", sa.BigInteger(), nullable=False),
        sa.Column("topup_fen", sa.BigInteger(), nullable=False),
        sa.Column("deductions_fen", sa.BigInteger(), nullable=False),
        sa.Column("net_fen", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payroll_runs.id"],
            name=op.f("fk_payroll_lines_run_id_payroll_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"],
            ["workers.id"],
            name=op.f("fk_payroll_lines_worker_id_workers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payroll_lines")),
        sa.UniqueConstraint("run_id", "worker_id", name=op.f("uq_payroll_lines_run_id")),
    )
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.create_index("ix_payroll_lines_worker", ["worker_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_payroll_lines_worker")

    op.drop_table("payroll_lines")
    with op.batch_alter_table("payroll_adjustments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payroll_adjustments_worker_id"))
        batch_op.drop_index(batch_op.f("ix_payroll_adjustments_run_id"))

    op.drop_table("payroll_adjustments")
    with op.batch_alter_table("user_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_units_unit"))

    op.drop_table("user_units")
    with op.batch_alter_table("payroll_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payroll_runs_status"))
        batch_op.drop_index(batch_op.f("ix_payroll_runs_period_start"))

    op.drop_table("payroll_runs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_worker_id"))

    op.drop_table("users")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index("ix_shifts_worker_start")
        batch_op.drop_index("ix_shifts_start")
        batch_op.drop_index("ix_shifts_location_start")

    op.drop_table("shifts")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_name"))
        batch_op.drop_index(batch_op.f("ix_workers_household_id"))
        batch_op.drop_index(batch_op.f("ix_workers_active"))

    op.drop_table("workers")
    with op.batch_alter_table("piece_rate_rules", schema=None) as batch_op:
        batch_op.drop_index("ix_rules_task_from")

    op.drop_table("piece_rate_rules")
    with op.batch_alter_table("dividends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dividends_paid_on"))
        batch_op.drop_index(batch_op.f("ix_dividends_household_id"))

    op.drop_table("dividends")
    op.drop_table("tasks")
    op.drop_table("locations")
    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_households_village"))
        batch_op.drop_index(batch_op.f("ix_households_township"))

    op.drop_table("households")

"""Private tables: the login password hashes (``users``), the failed logins (``login_attempts``)
and the audit log readable by their owner only.

The compose stack's Grafana reader (deploy/postgres/10-grafana-reader.sh) gets SELECT on every
table the owner creates, through default privileges: any Grafana editor could then read every
login's argon2 hash.  No dashboard reads these tables.  PostgreSQL only (SQLite has no roles).

Revision ID: 0007_private_tables
Revises: 0006_snapshots
"""

from alembic import op

revision = "0007_private_tables"
down_revision = "0006_snapshots"
branch_labels = None
depends_on = None

PRIVATE = ("users", "login_attempts", "audit_log")

# Every grant on these tables to anyone but their owner (PUBLIC included: grantee 0) is revoked.
_REVOKE = """
DO $$
DECLARE g record;
BEGIN
  FOR g IN
    SELECT DISTINCT c.relname, a.grantee
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = current_schema()
    CROSS JOIN LATERAL aclexplode(c.relacl) a
    WHERE c.relname IN ({tables}) AND c.relkind = 'r' AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON TABLE %I FROM %s', g.relname,
                   CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee)) END);
  END LOOP;
END $$;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_REVOKE.format(tables=", ".join(f"'{t}'" for t in PRIVATE)))


def downgrade() -> None:
    pass  # the grants are the operator's: they are not put back

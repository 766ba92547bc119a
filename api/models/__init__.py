"""The workforce tables (all on ``eggwatch.sql.Base``)."""

from api.models.pay import AuditEntry, Dividend, PayrollAdjustment, PayrollLine, PayrollRun
from api.models.people import Household, LoginAttempt, User, UserUnit, Worker
from api.models.types import UTCDateTime, utcnow
from api.models.work import Location, PieceRateRule, Shift, Task

ROLES = ("admin", "manager", "supervisor", "payroll", "poverty_office")

__all__ = [
    "ROLES",
    "AuditEntry",
    "Dividend",
    "Household",
    "Location",
    "LoginAttempt",
    "PayrollAdjustment",
    "PayrollLine",
    "PayrollRun",
    "PieceRateRule",
    "Shift",
    "Task",
    "UTCDateTime",
    "User",
    "UserUnit",
    "Worker",
    "utcnow",
]

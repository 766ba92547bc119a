"""Households, workers, logins, the units a supervisor oversees and failed-login counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.models.types import UTCDateTime, utcnow
from eggwatch.sql import Base


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    village: Mapped[str] = mapped_column(String(80), index=True)
    township: Mapped[str] = mapped_column(String(80), index=True)
    members: Mapped[int] = mapped_column(Integer)
    registered_poor: Mapped[bool] = mapped_column(Boolean, default=False)
    poverty_exit_year: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Worker(Base):
    """A villager on the payroll.  ID number, phone and bank account are stored encrypted."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="RESTRICT"), index=True)
    national_id_enc: Mapped[str] = mapped_column(Text)
    national_id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    national_id_masked: Mapped[str] = mapped_column(String(18))
    phone_enc: Mapped[str | None] = mapped_column(Text)
    bank_account_enc: Mapped[str | None] = mapped_column(Text)
    full_time: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    hired_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    household: Mapped[Household] = relationship(lazy="raise")


class User(Base):
    """A login.  A supervisor may be linked to a worker record: their shifts are that worker's shifts."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(120))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("workers.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserUnit(Base):
    """The units (houses, lines) a supervisor oversees; drives object-level checks and alert routing."""

    __tablename__ = "user_units"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class LoginAttempt(Base):
    """A login attempt counted against one throttle key (client address or user name) until it
    leaves the window; a successful login deletes its own.  In SQL, not in a process's memory, so
    every API worker counts the same attempts (``api.services.login_throttle``)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # HMAC-SHA256 hex of "ip:<address>" or "user:<name>": fixed width, and a password typed into
    # the name field is not kept in plain text.
    key: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)

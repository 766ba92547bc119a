"""Who is told: the supervisor(s) on shift for the unit per the workforce roster, else the
configured default recipients; escalations go to the configured managers."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from analytics.alerts.config import Person

log = logging.getLogger(__name__)


class Roster(Protocol):
    def on_shift(self, unit: str, at: dt.datetime) -> list[Person]:
        """The people responsible for ``unit`` at ``at`` (may be empty)."""

    def managers(self) -> list[Person]:
        """The managers escalations go to (besides the configured ones)."""


class NoRoster:
    """No workforce roster available: everyone goes to the defaults."""

    def on_shift(self, unit: str, at: dt.datetime) -> list[Person]:
        return []

    def managers(self) -> list[Person]:
        return []


class WorkforceRoster:
    """The workforce shift roster (``api.roster.supervisors_on_shift``) read through SQL."""

    def __init__(self, session_factory: Callable[[], Any]) -> None:
        self._sessions = session_factory

    def on_shift(self, unit: str, at: dt.datetime) -> list[Person]:
        from api.roster import supervisors_on_shift

        with self._sessions() as session:
            contacts = supervisors_on_shift(session, unit, at)
        return [_person(c.display_name or c.username, c.email, c.phone) for c in contacts]

    def managers(self) -> list[Person]:
        from sqlalchemy import select

        from api.models import User

        with self._sessions() as session:
            users = session.scalars(
                select(User).where(User.role == "manager", User.active.is_(True)).order_by(User.id)
            ).all()
        return [_person(u.display_name or u.username, u.email, u.phone) for u in users]


def _person(name: str, email: str | None, phone: str | None) -> Person:
    """A roster contact as a Person; a malformed address is dropped (logged), never fatal."""
    try:
        return Person(name=name, email=email or None, phone=phone or None)
    except ValueError:
        log.warning("contact %s has a malformed e-mail or phone; notifying by name only", name)
        return Person(name=name)


def default_roster(session_factory: Callable[[], Any]) -> Roster:
    """The workforce roster when the workforce component is installed, else none."""
    try:
        import api.roster  # noqa: F401
    except ImportError:
        log.warning("no workforce roster (api.roster); alerts go to the default recipients")
        return NoRoster()
    return WorkforceRoster(session_factory)


class Router:
    def __init__(self, roster: Roster, defaults: Sequence[Person], managers: Sequence[Person]) -> None:
        self.roster = roster
        self.defaults = list(defaults)
        self.managers = list(managers)

    def for_unit(self, unit: str, at: dt.datetime) -> list[Person]:
        try:
            people = self.roster.on_shift(unit, at)
        except Exception:  # a broken roster must not stop alerting: fall back, loudly
            log.exception("shift roster lookup failed for %s; using the default recipients", unit)
            people = []
        return people or list(self.defaults)

    def escalation(self) -> list[Person]:
        """Configured managers plus the workforce's manager logins, de-duplicated by their whole
        contact: by name alone, two managers both shown as 王经理 were one, and a login without an
        address replaced the configured manager of that name and their e-mail."""
        try:
            people = [*self.managers, *self.roster.managers()]
        except Exception:
            log.exception("manager lookup failed; escalating to the configured managers")
            people = list(self.managers)
        unique = list(dict.fromkeys(people))
        return unique or list(self.defaults)

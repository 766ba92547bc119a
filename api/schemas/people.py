"""Households, workers and users on the wire."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api import national_id
from api.schemas.common import Code, Day, Flag, Int, Name, Note, Out, Printable, RefId, Unit

NationalId = Annotated[
    str, StringConstraints(min_length=18, max_length=18), AfterValidator(national_id.normalize)
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 -]{5,20}$")]
BankAccount = Annotated[str, StringConstraints(pattern=r"^[0-9]{8,30}$")]
Role = Literal["admin", "manager", "supervisor", "payroll", "poverty_office"]


class HouseholdIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code
    village: Name
    township: Name
    members: Int = Field(ge=1, le=50)
    registered_poor: Flag
    poverty_exit_year: Int | None = Field(default=None, ge=2000, le=2100)
    notes: Note | None = None


class HouseholdPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    village: Name | None = None
    township: Name | None = None
    members: Int | None = Field(default=None, ge=1, le=50)
    registered_poor: Flag | None = None
    poverty_exit_year: Int | None = Field(default=None, ge=2000, le=2100)
    notes: Note | None = None


class HouseholdOut(Out):
    id: int
    code: str
    village: str
    township: str
    members: int
    registered_poor: bool
    poverty_exit_year: int | None
    notes: str | None


class WorkerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    national_id: NationalId
    household_id: RefId
    phone: Phone | None = None
    bank_account: BankAccount | None = None
    full_time: Flag = True
    hired_on: Day | None = None


class WorkerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    household_id: RefId | None = None
    phone: Phone | None = None
    bank_account: BankAccount | None = None
    full_time: Flag | None = None
    active: Flag | None = None
    hired_on: Day | None = None


class WorkerOut(BaseModel):
    id: int
    name: str
    household_id: int
    national_id: str = Field(description="masked: first 6 and last 4 characters")
    phone: str | None = Field(description="masked")
    has_bank_account: bool
    full_time: bool
    active: bool
    hired_on: dt.date | None


class WorkerLookup(BaseModel):
    """Find a worker by ID number without putting the number in the URL (URLs end up in logs)."""

    model_config = ConfigDict(extra="forbid")
    national_id: NationalId


class UnmaskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200), Printable]


class WorkerSecrets(BaseModel):
    id: int
    national_id: str
    phone: str | None
    bank_account: str | None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.@-]{3,64}$")]
    password: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    role: Role
    display_name: Name | None = None
    phone: Phone | None = None
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]{1,100}$"), Printable] | None = None
    worker_id: RefId | None = None
    units: list[Unit] = Field(default_factory=list, max_length=100)


class UserOut(Out):
    id: int
    username: str
    role: str
    display_name: str | None
    phone: str | None
    email: str | None
    worker_id: int | None
    active: bool
    units: list[str] = []


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"

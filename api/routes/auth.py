"""Login (OAuth2 password form → bearer JWT) and who-am-I."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ConfigDep, CurrentUser, KeysDep, SessionDep
from api.routes._common import no_store
from api.schemas.people import Token, UserOut
from api.security import DUMMY_HASH, verify_password
from api.services.login_throttle import LoginThrottle
from api.services.users import MAX_PASSWORD, USERNAME, find_user, normalize_username, user_out

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token, responses={401: {}, 429: {}})
def login(
    request: Request,
    response: Response,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    keys: KeysDep,
    config: ConfigDep,
) -> Token:
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else "?"
    name = normalize_username(form.username)  # as find_user compares: one key per login
    # Names are up to 64 of a-z 0-9 _ . @ - (create_user): another one (longer, or with a NUL that
    # PostgreSQL would refuse in the lookup) names nobody and is not kept as a throttle key (one
    # row per name); the attempt still counts against the address.
    named = USERNAME.match(name) is not None
    keys_ = (f"ip:{client}", f"user:{name}") if named else (f"ip:{client}",)
    reservation = throttle.reserve(*keys_)  # before the password check: parallel guesses count too
    if reservation is None:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many failed logins; wait a minute")
    user = find_user(session, form.username) if named else None  # any case
    # A password longer than any we accept (UserIn: 200) is wrong without hashing a megabyte.
    ok = len(form.password) <= MAX_PASSWORD and verify_password(
        user.password_hash if user else DUMMY_HASH, form.password
    )
    if not (user and ok and user.active):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "wrong user name or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    throttle.release(reservation)
    token = keys.issue_token(user.id, user.role, dt.timedelta(minutes=config.token_ttl_minutes))
    no_store(response)  # RFC 6749 §5.1: token responses must not be cached
    return Token(access_token=token)


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser, session: SessionDep) -> UserOut:
    return user_out(session, user)

"""Accounts: sign-up, sign-in, tokens, profiles, roles, plans and leaving. Never commits.

These functions are what other domains (the API, the dashboard, the CLI) call; API keys live
in `shorturl.accounts.api_keys`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.ext.asyncio import AsyncSession

from shorturl.accounts.browser_sessions import revoke_credentials
from shorturl.accounts.models import ApiKey, User
from shorturl.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    verify_password,
)
from shorturl.accounts.principal import Principal
from shorturl.accounts.repository import AccountRepository
from shorturl.accounts.tokens import AccessToken, credential_version, issue_token, read_token
from shorturl.errors import AccountExists, Unauthorized, ValidationFailed
from shorturl.links.service import LinkService
from shorturl.ratelimit.login import LoginThrottle, account_key
from shorturl.ratelimit.plans import PLAN_NAMES
from shorturl.timestamps import utcnow

__all__ = [
    "ROLES",
    "NewUser",
    "ProfileChanges",
    "authenticate",
    "check_current_password",
    "create_user",
    "delete_account",
    "find_user",
    "issue_access_token",
    "list_users",
    "normalize_email",
    "principal_for",
    "principal_from_token",
    "revoke_credentials",
    "set_active",
    "set_plan",
    "set_role",
    "sign_in",
    "update_profile",
    "user_by_id",
]

ROLES: Final = ("user", "admin")
_USERNAME: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{2,31}")
_WRONG_CREDENTIALS: Final = "Wrong login or password"


@dataclass(slots=True)
class NewUser:
    email: str
    username: str
    password: str
    display_name: str | None = None
    role: str = "user"
    plan: str = "free"


@dataclass(slots=True)
class ProfileChanges:
    """Fields to change; None leaves a field alone. A new password needs the current one."""

    display_name: str | None = None
    email: str | None = None
    username: str | None = None
    password: str | None = None
    current_password: str | None = None
    # An email change needs `current_password` too (the API; the dashboard session suffices).
    email_needs_password: bool = False


def normalize_email(email: str) -> str:
    """The address in the form it is stored and looked up in (lower case); 400 if invalid."""
    try:
        checked = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"email: {exc}", details={"field": "email"}) from None
    return checked.normalized.lower()


def normalize_username(username: str) -> str:
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise ValidationFailed(
            "username: 3 to 32 characters of letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            details={"field": "username"},
        )
    return name


def _check_password(password: str) -> None:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"password: {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            details={"field": "password"},
        )


def _check_choice(value: str, allowed: Sequence[str], field: str) -> str:
    if value not in allowed:
        raise ValidationFailed(
            f"{field}: one of {', '.join(allowed)}", details={"field": field, "allowed": allowed}
        )
    return value


async def create_user(session: AsyncSession, new: NewUser) -> User:
    """A new account; ValidationFailed for bad fields, AccountExists for a taken email or
    username (the message says which: sign-up has to tell the user)."""
    email = normalize_email(new.email)
    username = normalize_username(new.username)
    _check_password(new.password)
    user = User(
        email=email,
        username=username,
        display_name=(new.display_name or "").strip() or None,
        password_hash=await hash_password(new.password),
        role=_check_choice(new.role, ROLES, "role"),
        plan=_check_choice(new.plan, PLAN_NAMES, "plan"),
    )
    repository = AccountRepository(session)
    await _ensure_free(repository, email=email, username=username)
    if not await repository.insert_user(user):  # lost a race with a twin sign-up
        raise AccountExists(details="This email or username is already registered")
    return user


async def _ensure_free(
    repository: AccountRepository, *, email: str | None = None, username: str | None = None
) -> None:
    if email is not None and await repository.user_by_email(email) is not None:
        raise AccountExists(details="This email is already registered")
    if username is not None and await repository.user_by_username(username) is not None:
        raise AccountExists(details="This username is taken")


async def user_by_id(session: AsyncSession, user_id: int) -> User | None:
    return await AccountRepository(session).user(user_id)


async def find_user(session: AsyncSession, login: str) -> User | None:
    """The user with this email, username or numeric id (`42` or `user_42`)."""
    repository = AccountRepository(session)
    login = login.strip()
    if "@" in login:
        return await repository.user_by_email(login.lower())
    user = await repository.user_by_username(login.lower())
    number = login.removeprefix("user_")
    if user is None and number.isascii() and number.isdigit():  # not '³': int() refuses it
        user = await repository.user(int(number))
    return user


async def _user_by_login(repository: AccountRepository, login: str) -> User | None:
    login = login.strip().lower()
    if "@" in login:
        return await repository.user_by_email(login)
    return await repository.user_by_username(login)


async def _verified(user: User | None, password: str) -> User:
    matches = await verify_password(user.password_hash if user else None, password)
    if user is None or not matches or not user.is_active:
        raise Unauthorized(_WRONG_CREDENTIALS)
    return user


async def authenticate(session: AsyncSession, login: str, password: str) -> User:
    """The active user whose email or username is `login` and whose password matches.

    Unauthorized otherwise, with one message whatever was wrong, in about the same time
    whether or not the account exists. Throttling is the caller's business (see
    `shorturl.ratelimit.login`).
    """
    return await _verified(await _user_by_login(AccountRepository(session), login), password)


async def sign_in(
    session: AsyncSession,
    login: str,
    password: str,
    *,
    client_ip: str,
    throttle: LoginThrottle | None,
) -> User:
    """`authenticate`, throttled against password guessing (429 RATE_LIMITED once an account
    or an IP has tried too often). Every sign-in form (API, dashboard) goes through here.

    The attempt is counted before the password is checked, against the account found (so
    its username and email share one budget)."""
    user = await _user_by_login(AccountRepository(session), login)
    account = account_key(user.id if user is not None else None, login)
    if throttle is not None:
        await throttle.reserve(account, client_ip)
    user = await _verified(user, password)
    if throttle is not None:
        await throttle.succeeded(account)
    return user


async def check_current_password(
    user: User,
    password: str | None,
    *,
    client_ip: str,
    throttle: LoginThrottle | None,
    field: str = "current_password",
) -> None:
    """Unauthorized unless `password` is the user's; counted like a sign-in attempt (same
    budgets), so a stolen session cannot be used to guess the password."""
    if throttle is not None:
        await throttle.reserve(account_key(user.id, ""), client_ip)
    if password is None or not await verify_password(user.password_hash, password):
        raise Unauthorized(
            "The current password is needed for this change", details={"field": field}
        )
    if throttle is not None:
        await throttle.succeeded(account_key(user.id, ""))


def issue_access_token(user: User, secret_key: str) -> AccessToken:
    """A bearer token for `user`; it stops working when it expires, the password changes, or
    the user's tokens are revoked (`revoke_credentials`: sign-out everywhere, disable)."""
    return issue_token(
        user.id, user.password_hash, secret_key, generation=user.token_generation or 0
    )


def principal_for(user: User, key: ApiKey | None = None) -> Principal:
    """The caller `user` is, directly (token, session) or through one of their API keys."""
    return Principal(
        user_id=user.id,
        username=user.username,
        role=user.role,
        plan=user.plan,
        permissions=frozenset(key.permissions) if key is not None else frozenset(("read", "write")),
        api_key_id=key.id if key is not None else None,
        rate_limit=key.rate_limit if key is not None else None,
    )


async def principal_from_token(
    session: AsyncSession, token: str, secret_keys: str | Sequence[str]
) -> Principal:
    """The caller a bearer token stands for; Unauthorized when it is not (or no longer) valid."""
    claims = read_token(token, secret_keys)
    user = await AccountRepository(session).user(claims.user_id)
    if (
        user is None
        or not user.is_active
        or credential_version(user.password_hash) != claims.credential_version
        or (user.token_generation or 0) != claims.generation
    ):
        raise Unauthorized(details="The access token is no longer valid")
    return replace(principal_for(user), fresh_login=claims.is_fresh())


async def update_profile(
    session: AsyncSession,
    user: User,
    changes: ProfileChanges,
    *,
    client_ip: str = "",
    throttle: LoginThrottle | None = None,
) -> User:
    """Apply `changes`. A new password needs the current one, checked under the sign-in
    throttle; it ends every session and access token of the user."""
    repository = AccountRepository(session)
    if changes.display_name is not None:
        user.display_name = changes.display_name.strip() or None
    checked = False
    if changes.email is not None:
        email = normalize_email(changes.email)
        if email != user.email:
            if changes.email_needs_password:
                await check_current_password(
                    user, changes.current_password, client_ip=client_ip, throttle=throttle
                )
                checked = True
            await _ensure_free(repository, email=email)
            user.email = email
    if changes.username is not None:
        username = normalize_username(changes.username)
        if username != user.username:
            await _ensure_free(repository, username=username)
            user.username = username
    if changes.password is not None:
        _check_password(changes.password)
        if not checked:
            await check_current_password(
                user, changes.current_password, client_ip=client_ip, throttle=throttle
            )
        user.password_hash = await hash_password(changes.password)
        await revoke_credentials(session, user)
    user.updated_at = utcnow()
    if not await repository.flush():
        raise AccountExists(details="This email or username is already registered")
    return user


async def delete_account(session: AsyncSession, user: User, links: LinkService) -> int:
    """Remove the user with their API keys and webhooks; their links become tombstones that
    only keep the code reserved, and their clicks are deleted. Returns how many links."""
    erased = await links.erase_owner(session, user.id)
    await revoke_credentials(session, user)
    await AccountRepository(session).delete_user(user)
    return erased


async def list_users(
    session: AsyncSession, *, query: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[User], int]:
    return await AccountRepository(session).users(query=query, limit=limit, offset=offset)


async def set_plan(session: AsyncSession, user: User, plan: str) -> User:
    user.plan = _check_choice(plan, PLAN_NAMES, "plan")
    user.updated_at = utcnow()
    await session.flush()
    return user


async def set_role(session: AsyncSession, user: User, role: str) -> User:
    user.role = _check_choice(role, ROLES, "role")
    user.updated_at = utcnow()
    await session.flush()
    return user


async def set_active(session: AsyncSession, user: User, active: bool) -> User:
    """Disable (or enable again) an account: a disabled user's tokens and keys stop working."""
    user.is_active = active
    user.updated_at = utcnow()
    if not active:  # re-enabling must not bring old tokens and sessions back
        await revoke_credentials(session, user)
    await session.flush()
    return user

"""The account resources: `auth` (sign-up, login), `user` (profile, account) and
`user.api_keys`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from shorturl.client._binding import AsyncResource, SyncResource, async_call, sync_call
from shorturl.client._http import NOT_GIVEN, Call, NotGiven, path_segment
from shorturl.client.models import (
    AccountDeleted,
    ApiKey,
    ApiKeyCreated,
    ApiKeyRevoked,
    Profile,
    Token,
)

__all__ = ["ApiKeys", "AsyncApiKeys", "AsyncAuth", "AsyncUser", "Auth", "User"]

Permission = Literal["read", "write"]


def signup(
    *, email: str, username: str, password: str, display_name: str | None = None
) -> Call[Profile]:
    """Create an account on the free plan (`POST /auth/signup`); AccountExists when taken."""
    body = {"email": email, "username": username, "password": password}
    if display_name is not None:
        body["display_name"] = display_name
    return Call("POST", "/auth/signup", Profile.from_data, json=body)


def login(*, password: str, email: str | None = None, username: str | None = None) -> Call[Token]:
    """Trade a login and password for a bearer token (`POST /auth/login`): use it as
    `Client(token=result.access_token)`."""
    if (email is None) == (username is None):
        raise ValueError("give email or username (one of them) with the password")
    body = {"password": password, "email": email, "username": username}
    return Call("POST", "/auth/login", Token.from_data, json={k: v for k, v in body.items() if v})


def profile() -> Call[Profile]:
    """Your profile, plan and usage (`GET /user/profile`)."""
    return Call("GET", "/user/profile", Profile.from_data)


def update_profile(
    *,
    display_name: str | NotGiven = NOT_GIVEN,
    email: str | NotGiven = NOT_GIVEN,
    username: str | NotGiven = NOT_GIVEN,
    password: str | NotGiven = NOT_GIVEN,
    current_password: str | NotGiven = NOT_GIVEN,
) -> Call[Profile]:
    """Change your profile (`PATCH /user/profile`); a new `password` needs `current_password`."""
    body = {
        "display_name": display_name,
        "email": email,
        "username": username,
        "password": password,
        "current_password": current_password,
    }
    given = {k: v for k, v in body.items() if not isinstance(v, NotGiven)}
    return Call("PATCH", "/user/profile", Profile.from_data, json=given, idempotent=True)


def delete_account(current_password: str) -> Call[AccountDeleted]:
    """Delete your account, its keys, webhooks and links (`DELETE /user/account`); it takes
    your current password."""
    return Call(
        "DELETE",
        "/user/account",
        AccountDeleted.from_data,
        json={"current_password": current_password},
    )


def _api_key_list(data: Any) -> list[ApiKey]:
    return [ApiKey.from_data(item) for item in data.get("api_keys", [])]


def list_api_keys() -> Call[list[ApiKey]]:
    """Your API keys, prefixes only (`GET /user/api-keys`)."""
    return Call("GET", "/user/api-keys", _api_key_list)


def create_api_key(
    name: str,
    *,
    permissions: Sequence[Permission] = ("read", "write"),
    rate_limit: int | None = None,
) -> Call[ApiKeyCreated]:
    """Create an API key (`POST /user/api-keys`); `result.key` is shown this once."""
    body: dict[str, Any] = {"name": name, "permissions": list(permissions)}
    if rate_limit is not None:
        body["rate_limit"] = rate_limit
    return Call("POST", "/user/api-keys", ApiKeyCreated.from_data, json=body)


def revoke_api_key(key_id: str) -> Call[ApiKeyRevoked]:
    """Revoke an API key (`DELETE /user/api-keys/{key_id}`): it stops working at once."""
    return Call("DELETE", f"/user/api-keys/{path_segment(key_id)}", ApiKeyRevoked.from_data)


class Auth(SyncResource):
    """`client.auth`: sign-up and login."""

    signup = sync_call(signup)
    login = sync_call(login)


class ApiKeys(SyncResource):
    """`client.user.api_keys`: your API keys."""

    list = sync_call(list_api_keys)
    create = sync_call(create_api_key)
    revoke = sync_call(revoke_api_key)


class User(SyncResource):
    """`client.user`: your profile and account; `client.user.api_keys` your keys."""

    profile = sync_call(profile)
    update_profile = sync_call(update_profile)
    delete_account = sync_call(delete_account)

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.api_keys = ApiKeys(client)


class AsyncAuth(AsyncResource):
    """`client.auth` of the AsyncClient: sign-up and login."""

    signup = async_call(signup)
    login = async_call(login)


class AsyncApiKeys(AsyncResource):
    """`client.user.api_keys` of the AsyncClient: your API keys."""

    list = async_call(list_api_keys)
    create = async_call(create_api_key)
    revoke = async_call(revoke_api_key)


class AsyncUser(AsyncResource):
    """`client.user` of the AsyncClient: your profile and account."""

    profile = async_call(profile)
    update_profile = async_call(update_profile)
    delete_account = async_call(delete_account)

    def __init__(self, client: Any) -> None:
        super().__init__(client)
        self.api_keys = AsyncApiKeys(client)

"""Fixtures of the SDK tests: a fresh user with an API key on the live server of each mode."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import shorturl
from tests.live_server import LiveServer


@dataclass(frozen=True)
class SdkUser:
    username: str
    email: str
    password: str
    api_key: str


def new_user(server: LiveServer, prefix: str = "sdk") -> SdkUser:
    """Sign up, log in and create an API key, all through the SDK."""
    username = f"{prefix}{secrets.token_hex(4)}"
    email, password = f"{username}@example.com", f"pw-{username}-long enough"
    with shorturl.Client(server.url) as anonymous:
        anonymous.auth.signup(email=email, username=username, password=password)
        token = anonymous.auth.login(email=email, password=password).access_token
    with shorturl.Client(server.url, token=token) as signed_in:
        key = signed_in.user.api_keys.create("tests").key
    return SdkUser(username, email, password, key)


@pytest.fixture
def sdk_user(live_server: LiveServer) -> SdkUser:
    return new_user(live_server)


@pytest.fixture
def sdk(live_server: LiveServer, sdk_user: SdkUser) -> Iterator[shorturl.Client]:
    """A sync client of the live server, signed in with a fresh user's API key."""
    with shorturl.Client(live_server.url, api_key=sdk_user.api_key) as client:
        yield client

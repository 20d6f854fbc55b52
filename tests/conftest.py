"""Fixtures: the service under test in both modes, over a real ASGI client.

Every test that takes `client` runs twice: embedded (SQLite file + in-process cache) and
scaled (PostgreSQL + Redis, on 127.0.0.1). The scaled half needs those servers; when they are
not installed it is skipped with a loud message (`make test` starts them when they are).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import make_url, text

from shorturl.accounts import service as accounts
from shorturl.app import create_app
from shorturl.config import Settings
from shorturl.runtime import Runtime
from shorturl.storage.migrate import upgrade
from shorturl.storage.models import Base

PG_ADMIN_DSN = os.environ.get("SHORTURL_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SHORTURL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
_MISSING: list[str] = []
_NAMESPACES: list[str] = []  # Redis key prefixes handed out this session, deleted at its end


def new_namespace() -> str:
    """A Redis key prefix of its own, deleted with its keys when the session ends."""
    namespace = "t" + secrets.token_hex(4)
    _NAMESPACES.append(namespace)
    return namespace


@pytest.fixture(scope="session", autouse=True)
def _redis_keys_deleted_after_the_session() -> Any:
    """Streams have no expiry: without this, every run would leave its keys in Redis."""
    yield
    if not _NAMESPACES or not _redis_reachable():
        return
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        for namespace in _NAMESPACES:
            keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
            if keys:
                client.unlink(*keys)
    finally:
        client.close()


@dataclass(frozen=True)
class Backend:
    """One way to run the service: where its data lives."""

    name: str
    database_url: str
    redis_url: str | None

    def settings(self, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": self.database_url,
            "redis_url": self.redis_url,
            "redis_namespace": new_namespace() if self.redis_url else "shorturl",
            "base_url": "http://localhost:8080",
            "secret_key": "test-secret-key-" + "x" * 32,
            "rate_limit_enabled": False,
            "environment": "test",
            "allow_private_targets": True,
            # Every app on one database must agree on webhook retries: any of them may send.
            "webhook_retry_base": 0.1,
            "webhook_retry_max_delay": 1.0,
            "webhook_sweep_interval": 0.2,
            "webhook_timeout": 2.0,
        }
        if self.redis_url is not None:
            # where clicks wait while Redis is away (worker/fallback.py): not the working dir
            values["click_inbox"] = f"{tempfile.gettempdir()}/{values['redis_namespace']}-inbox"
        else:
            # An inbox per app, as a Redis namespace per app scaled: the shared app's worker
            # must not store, with its own settings, the clicks of an app made with others.
            values["click_inbox"] = f"{make_url(self.database_url).database}-inbox-{uuid4().hex}"
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def _pg_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def create_postgres_database() -> str:
    """A new, empty PostgreSQL database (its `postgresql+asyncpg://` URL); skips the test
    when PostgreSQL is not there. Drop it with `drop_postgres_database`."""
    name = "shorturl_test_" + secrets.token_hex(4)
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        _MISSING.append(f"PostgreSQL at {PG_ADMIN_DSN} ({exc.__class__.__name__}: {exc})")
        pytest.skip(f"!!! PostgreSQL unavailable at {PG_ADMIN_DSN}: scaled-mode tests SKIPPED")
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Any:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    url = create_postgres_database()
    yield url
    drop_postgres_database(url)


@pytest.fixture(scope="session")
def redis_url() -> str:
    if not _redis_reachable():
        _MISSING.append(f"Redis at {REDIS_URL}")
        pytest.skip(f"!!! Redis unavailable at {REDIS_URL}: scaled-mode tests SKIPPED")
    return REDIS_URL


@pytest.fixture(scope="session", params=["embedded", "scaled"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Backend:
    """Both storage modes, each with its schema migrated by Alembic."""
    if request.param == "embedded":
        path: Path = tmp_path_factory.mktemp("db") / "shorturl.db"
        chosen = Backend("embedded", f"sqlite+aiosqlite:///{path}", None)
    else:
        chosen = Backend(
            "scaled", request.getfixturevalue("postgres_url"), request.getfixturevalue("redis_url")
        )
    upgrade(chosen.database_url)
    return chosen


@pytest.fixture(scope="session")
def scaled(postgres_url: str, redis_url: str) -> Backend:
    """The PostgreSQL + Redis backend, migrated, whichever mode the other tests are in."""
    upgrade(postgres_url)
    return Backend("scaled", postgres_url, redis_url)


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """The app with its lifespan running, and a client talking to it in process."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


@pytest.fixture(scope="session")
async def app(backend: Backend) -> AsyncIterator[Any]:
    async with running(backend.settings()) as (application, _):
        yield application


def runtime_of(app: Any) -> Runtime:
    return app.runtime


async def reset_state(runtime: Runtime) -> None:
    """Empty every table (but the stored secrets) and every cache of one runtime."""
    # Clicks of the previous test still on their way would land on the next test's links.
    with contextlib.suppress(TimeoutError):
        await runtime.clicks.drain(5)
    async with runtime.database.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "app_secrets":
                await connection.execute(text(f'DELETE FROM "{table.name}"'))
    runtime.cache.local.clear()
    runtime.domains.hosts = {}
    if runtime.redis is not None:
        keys = [key async for key in runtime.redis.scan_iter(match=runtime.redis_key("*"))]
        if keys:
            await runtime.redis.delete(*keys)


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the shared app of this mode, with all data from earlier tests removed."""
    await reset_state(runtime_of(app))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def runtime(app: Any) -> Runtime:
    return runtime_of(app)


AppFactory = Callable[..., AbstractAsyncContextManager[tuple[Any, httpx.AsyncClient]]]


@pytest.fixture
def app_factory(backend: Backend) -> AppFactory:
    """Start another app on this mode's storage with some settings changed."""

    @asynccontextmanager
    async def factory(**overrides: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
        async with running(backend.settings(**overrides)) as pair:
            await reset_state(runtime_of(pair[0]))
            yield pair

    return factory


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _MISSING:
        terminalreporter.write_sep("!", "SCALED MODE NOT TESTED", red=True, bold=True)
        for item in sorted(set(_MISSING)):
            terminalreporter.write_line(f"unavailable: {item}", red=True)


@dataclass(frozen=True)
class Account:
    """A signed-up, logged-in user of the app under test."""

    user_id: int
    username: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def sign_up(
    client: httpx.AsyncClient,
    runtime: Runtime,
    username: str,
    *,
    role: str = "user",
    plan: str = "free",
) -> Account:
    """Sign `username` up through the API, give them a role and plan, and log them in."""
    email, password = f"{username}@example.com", f"pw-{username}-Secret!"
    response = await client.post(
        "/api/v1/auth/signup", json={"email": email, "username": username, "password": password}
    )
    assert response.status_code == 201, response.text
    user_id = int(response.json()["data"]["user_id"].removeprefix("user_"))
    if (role, plan) != ("user", "free"):
        async with runtime.database.sessionmaker() as session:
            user = await accounts.user_by_id(session, user_id)
            assert user is not None
            await accounts.set_role(session, user, role)
            await accounts.set_plan(session, user, plan)
            await session.commit()
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return Account(user_id, username, email, password, login.json()["data"]["access_token"])


MakeAccount = Callable[..., Awaitable[Account]]


@pytest.fixture
def make_account(client: httpx.AsyncClient, runtime: Runtime) -> MakeAccount:
    """`await make_account("bob", role="admin", plan="premium")` on the shared app."""

    async def make(username: str, **options: Any) -> Account:
        return await sign_up(client, runtime, username, **options)

    return make


@pytest.fixture
async def account(make_account: MakeAccount) -> Account:
    """The user `alice` (free plan)."""
    return await make_account("alice")


@pytest.fixture
def auth_headers(account: Account) -> dict[str, str]:
    return account.headers


@pytest.fixture
async def user_client(app: Any, auth_headers: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the shared app signed in as `alice` (bearer token on every request)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=auth_headers
    ) as http:
        yield http


# `shorturl serve` as a real subprocess, per mode (tests of the SDK and the CLI).
from tests.live_server import live_server  # noqa: E402, F401

# The CLI on a fresh local database of the mode (tests of the commands).
from tests.local_cli import local_env, shorturl_cli  # noqa: E402, F401

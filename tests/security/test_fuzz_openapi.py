"""Attack: any input an attacker can send, signed in. Schemathesis fuzzes every operation of
`/openapi.json` on a real `shorturl serve` (embedded), as a normal user's API key and as an
admin's bearer token, so the operations that answer only 401/403 anonymously run for real.
No answer may be a 5xx.

Left out, and why:
- the redirect catch-all `/{code}` is not in the schema (a bare ASGI app, tests/redirect);
- `/rest/v3/mercure-info` answers GET with 501 on purpose, as Shlink does without a Mercure
  hub: that 501 is asserted to be Shlink's problem body instead;
- `/api/v1/urls/{code}/clicks/stream` and `/api/v1/analytics/stream` are SSE streams that
  never end on their own, so a request would hang the run (tests/live covers them).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from shorturl.app import create_app
from shorturl.config import Settings
from tests.live_server import LiveServer, run_cli, start_server

STREAMS = r"/stream$"
MAX_EXAMPLES = 6  # per operation and identity: ~70 operations x 2 identities in about a minute
MERCURE = "/rest/v3/mercure-info"


@dataclass
class Identities:
    """A normal user's API key and an admin's bearer token, made again when the fuzzer revoked
    them (it calls `/auth/revoke`, deletes keys and disables users like anyone could)."""

    server: LiveServer
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {"user": self._user_key(), "admin": self._admin_token()}

    def _sign_up(self, prefix: str) -> tuple[str, str, str]:
        username = f"{prefix}{secrets.token_hex(4)}"
        email, password = f"{username}@example.com", f"pw-{username}-long enough"
        signup = httpx.post(
            f"{self.server.url}/api/v1/auth/signup",
            json={"email": email, "username": username, "password": password},
        )
        assert signup.status_code == 201, signup.text
        return username, email, password

    def _token(self, email: str, password: str) -> str:
        login = httpx.post(
            f"{self.server.url}/api/v1/auth/login", json={"email": email, "password": password}
        )
        assert login.status_code == 200, login.text
        return str(login.json()["data"]["access_token"])

    def _user_key(self) -> dict[str, str]:
        _, email, password = self._sign_up("fuzz")
        created = httpx.post(
            f"{self.server.url}/api/v1/user/api-keys",
            headers={"Authorization": f"Bearer {self._token(email, password)}"},
            json={"name": "fuzz"},
        )
        assert created.status_code == 201, created.text
        return {"X-API-Key": created.json()["data"]["key"]}

    def _admin_token(self) -> dict[str, str]:
        username, email, password = self._sign_up("fuzzadm")
        promoted = run_cli("users", "set-role", username, "admin", env=self.server.env)
        assert promoted.returncode == 0, promoted.stderr
        return {"Authorization": f"Bearer {self._token(email, password)}"}

    def still_valid(self, who: str) -> None:
        """After a 401: make the identity again if the fuzzer has revoked it."""
        probe = httpx.get(f"{self.server.url}/api/v1/user/profile", headers=self.headers[who])
        if probe.status_code == 401:
            self.headers[who] = self._user_key() if who == "user" else self._admin_token()


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    workdir: Path = tmp_path_factory.mktemp("fuzz")
    with start_server(f"sqlite+aiosqlite:///{workdir}/fuzz.db", None, workdir) as server:
        yield server


@pytest.fixture(scope="module")
def identities(fuzzed_server: LiveServer) -> Identities:
    return Identities(fuzzed_server)


def _openapi() -> dict[str, Any]:
    """The `/openapi.json` the server answers, built by the same code at collection time so
    pytest gets a test per operation (schemathesis' lazy fixture loader
    fails on pytest 9.2 here: AttributeError '_nodeid')."""
    application: Any = create_app(
        Settings(_env_file=None, database_url="sqlite+aiosqlite://", secret_key="x" * 40)  # type: ignore[call-arg]
    )
    while not hasattr(application, "openapi"):  # under the redirect front and middleware
        application = application.app
    return dict(application.openapi())


schema = schemathesis.openapi.from_dict(_openapi()).exclude(path_regex=STREAMS)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same inputs every run: a failure here is reproducible
)
def test_no_input_gives_a_server_error(
    case: schemathesis.Case, fuzzed_server: LiveServer, identities: Identities
) -> None:
    for who in ("user", "admin"):
        response = case.call(
            base_url=fuzzed_server.url, headers=identities.headers[who], timeout=30
        )
        if case.operation.path == MERCURE and response.status_code == 501:
            assert response.json()["type"].endswith("mercure-not-configured")
        else:
            case.validate_response(response, checks=[not_a_server_error])
        if response.status_code == 401:
            identities.still_valid(who)

"""The real `@shlinkio/shlink-js-sdk` (npm, pinned in tests/shlink/sdk) against `shorturl serve`.

`npm ci` runs when the installed SDK is not the locked one; then node's test runner runs
tests/shlink/sdk/surface.test.mjs, every SDK operation, and any failure fails this test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.client.conftest import new_user
from tests.live_server import LiveServer, run_cli

SDK_DIR = Path(__file__).parent / "sdk"


def _installed() -> bool:
    """Whether node_modules holds exactly what package-lock.json pins."""
    lock = json.loads((SDK_DIR / "package-lock.json").read_text())
    for path, entry in lock["packages"].items():
        if not path:
            continue
        manifest = SDK_DIR / path / "package.json"
        if not manifest.exists() or json.loads(manifest.read_text())["version"] != entry["version"]:
            return False
    return True


@pytest.fixture(scope="session")
def node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail(
            "node and npm are needed to test the Shlink API with the real Shlink SDK: "
            "install Node.js ≥ 18 (Debian: apt-get install nodejs npm)"
        )
    if not _installed():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=SDK_DIR, check=True, timeout=300)
    return node


def _api_key(server: LiveServer, login: str, password: str, permissions: list[str]) -> str:
    with httpx.Client(base_url=server.url) as http:
        token = http.post("/api/v1/auth/login", json={"email": login, "password": password}).json()[
            "data"
        ]["access_token"]
        created = http.post(
            "/api/v1/user/api-keys",
            headers={"Authorization": f"Bearer {token}"},
            json={"name": "shlink", "permissions": permissions},
        )
        assert created.status_code == 201, created.text
        return created.json()["data"]["key"]


def test_every_sdk_operation(live_server: LiveServer, node: str) -> None:
    admin = new_user(live_server, "shadm")
    promoted = run_cli("users", "set-role", admin.username, "admin", env=live_server.env)
    assert promoted.returncode == 0, promoted.stderr
    user, other = new_user(live_server, "shusr"), new_user(live_server, "shoth")
    env = {
        **os.environ,
        "SHORTURL_URL": live_server.url,
        "SHLINK_ADMIN_KEY": admin.api_key,
        "SHLINK_USER_KEY": user.api_key,
        "SHLINK_OTHER_KEY": other.api_key,
        "SHLINK_READONLY_KEY": _api_key(live_server, user.email, user.password, ["read"]),
    }
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", "surface.test.mjs"],
        cwd=SDK_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert "# fail 0" in result.stdout or "ℹ fail 0" in result.stdout, result.stdout

"""No secret — password, API key, access token, SECRET_KEY — in a response or a log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from shorturl.runtime import Runtime


async def test_secrets_never_reach_responses_or_logs(
    client: httpx.AsyncClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    password = "Tr0ub4dor&3-very-secret"
    seen: list[httpx.Response] = []

    async def call(method: str, path: str, **options: object) -> httpx.Response:
        response = await client.request(method, path, **options)  # type: ignore[arg-type]
        seen.append(response)
        return response

    with caplog.at_level(logging.DEBUG):
        await call(
            "POST",
            "/api/v1/auth/signup",
            json={"email": "s@example.com", "username": "secret", "password": password},
        )
        await call(
            "POST",
            "/api/v1/auth/signup",
            json={"email": "s@example.com", "username": "x2", "password": password},
        )
        await call(
            "POST", "/api/v1/auth/login", json={"username": "secret", "password": password + "x"}
        )
        login = await call(
            "POST", "/api/v1/auth/login", json={"username": "secret", "password": password}
        )
        token = login.json()["data"]["access_token"]
        bearer = {"Authorization": f"Bearer {token}"}
        created = await call("POST", "/api/v1/user/api-keys", headers=bearer, json={"name": "k"})
        key = created.json()["data"]["key"]
        await call("GET", "/api/v1/user/api-keys", headers=bearer)
        await call("GET", "/api/v1/user/profile", headers={"X-API-Key": key})
        await call("POST", "/api/v1/urls", headers={"X-API-Key": key + "x"}, json={})
        await call("GET", "/api/v1/user/profile", headers={"Authorization": f"Bearer {token}x"})
        await call(
            "PATCH",
            "/api/v1/user/profile",
            headers=bearer,
            json={"password": "another long password", "current_password": password + "!"},
        )
        await call(
            "POST",
            "/api/v1/auth/login",
            content=b'{"username": "secret", "password": "' + password.encode(),
        )

    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    for secret in (password, key, token, runtime.secret_key):
        assert secret not in logged
    for secret in (password, token, runtime.secret_key):
        for response in seen:
            if response is not login:
                assert secret not in response.text, response.request.url
    for response in seen:
        if response is not created:
            assert key not in response.text, response.request.url
        assert "argon2" not in response.text and "key_hash" not in response.text

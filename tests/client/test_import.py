"""`import shorturl` stays light: the SDK never loads the server or its dependencies."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SERVER_PACKAGES = ("fastapi", "starlette", "sqlalchemy", "pydantic", "redis", "asyncpg", "alembic")


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )


def test_import_shorturl_loads_no_server_module() -> None:
    result = run_python(
        """
        import json, sys
        import shorturl
        after_import = sorted(sys.modules)
        client = shorturl.Client("http://127.0.0.1:9")
        client.close()
        print(json.dumps({"after_import": after_import, "after_client": sorted(sys.modules),
                          "error": shorturl.CustomAliasTaken.__mro__[1].__name__}))
        """
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert "httpx" not in seen["after_import"]  # the SDK itself loads on first use
    assert "shorturl.client" in seen["after_client"]
    loaded = {name.split(".")[0] for name in seen["after_client"]}
    assert not loaded & set(SERVER_PACKAGES), loaded & set(SERVER_PACKAGES)
    assert seen["error"] == "ShortURLError"


def test_sdk_works_without_the_server_dependencies_installed() -> None:
    """With the server's packages made unimportable (a bare `pip install shorturl`), every
    module of the SDK imports and a client is built."""
    result = run_python(
        f"""
        import importlib, pkgutil, sys
        BLOCKED = {SERVER_PACKAGES!r} + ("typer", "rich")

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in BLOCKED:
                    raise ImportError(f"{{name}} is not installed")

        sys.meta_path.insert(0, Block())
        import shorturl, shorturl.client
        for module in pkgutil.iter_modules(shorturl.client.__path__):
            importlib.import_module("shorturl.client." + module.name)
        with shorturl.Client("http://127.0.0.1:9", api_key="sk_live_x") as client:
            assert client.urls and client.user.api_keys and client.webhooks
        print(sorted(shorturl.__all__) == sorted(shorturl.client.__all__))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_public_names() -> None:
    import shorturl
    from shorturl import client

    assert set(shorturl.__all__) == set(client.__all__)
    for name in shorturl.__all__:
        assert getattr(shorturl, name) is getattr(client, name)
    assert issubclass(shorturl.RateLimited, shorturl.ShortURLError)
    assert issubclass(shorturl.UrlNotFound, shorturl.NotFound)
    assert "Client" in dir(shorturl)

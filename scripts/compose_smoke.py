"""`make compose-smoke`: `compose.yaml` as a user runs it, with podman-compose: build the
image, start web, worker, migrate, PostgreSQL and Redis, shorten, redirect, see the click
stored by the worker, restart Redis (its append-only file keeps the stream), stop.

Where no registry is reachable (/work/shared/container.md), PostgreSQL and Redis are
stand-in images built on the local Debian base (scripts/compose_images/, same environment
contract as the official ones), named in an override file; compose.yaml itself is unchanged.
Podman 4.3 (Debian 12) cannot wait for `service_healthy` and fails to start containers that
require others, so the services are started in compose.yaml's `depends_on` order one step at
a time (`up --no-deps`), each step waiting for what the next depends on: the healthchecks of
PostgreSQL and Redis (run here: podman schedules them with systemd timers), the migration's
exit code.
"""

from __future__ import annotations

import shlex
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from container_smoke import BROWSER, build, engine, local_base, run  # noqa: E402

PROJECT = "shorturl-smoke"
BASE_URL = "http://localhost:8080"
IMAGES = ROOT / "scripts" / "compose_images"
OVERRIDE = """services:
  postgres: {{image: "{postgres}"}}
  redis: {{image: "{redis}"}}
"""


def stand_ins(cli: list[str], base: str) -> str:
    """Build PostgreSQL and Redis on `base`; the override file that names them."""
    names = {"postgres": "localhost/compose-postgres:15", "redis": "localhost/compose-redis:7"}
    for service, image in names.items():
        run(*cli, "build", "--network", "host", "--build-arg", f"BASE={base}", "-t", image,
            "-f", str(IMAGES / f"{service}.Containerfile"), str(IMAGES))  # fmt: skip
    override = Path(tempfile.mkdtemp()) / "compose.override.yaml"
    override.write_text(OVERRIDE.format(**names))
    return str(override)


def _healthy(cli: list[str], container: str) -> None:
    """Wait until `container`'s own healthcheck passes (run here: podman schedules them
    with systemd timers, and there may be no systemd)."""
    deadline = time.monotonic() + 120
    while run(*cli, "healthcheck", "run", container, check=False, capture=True).returncode:
        if time.monotonic() > deadline:
            run(*cli, "logs", container, check=False)
            raise SystemExit(f"{container} never became healthy")
        time.sleep(1)


def main() -> int:
    cli = engine()
    if "podman" not in cli[0]:
        raise SystemExit("this smoke test drives podman-compose; with docker: docker compose up")
    build(cli, "localhost/shorturl:latest")  # compose.yaml's `image: shorturl:latest`
    files = ["-f", str(ROOT / "compose.yaml")]
    base = local_base(cli)
    if base is not None:
        files += ["-f", stand_ins(cli, base)]
    compose = [
        sys.executable, "-m", "podman_compose", "--podman-args", shlex.join(cli[1:]),
        "-p", PROJECT, *files,
    ]  # fmt: skip
    up = [*compose, "up", "-d", "--no-build", "--no-deps"]
    container = f"{PROJECT}_{{}}_1".format
    try:
        # In compose.yaml's depends_on order, one step at a time: podman 4.3 (Debian 12)
        # cannot wait for `service_healthy` nor start containers that `--requires` others.
        run(*up, "postgres", "redis")
        _healthy(cli, container("postgres"))
        _healthy(cli, container("redis"))
        run(*up, "migrate")
        status = run(*cli, "wait", container("migrate"), capture=True).stdout.strip()
        assert status == "0", f"migrations exited {status}"
        run(*up, "web", "worker")
        _wait_ready()
        _healthy(cli, container("web"))
        created = httpx.post(f"{BASE_URL}/shorten", json={"url": "https://example.com/compose"})
        assert created.status_code == 201, created.text
        code = created.json()["short_code"]
        redirect = httpx.get(f"{BASE_URL}/{code}", headers=BROWSER)
        assert redirect.status_code == 301, redirect.text
        assert redirect.headers["location"] == "https://example.com/compose"
        _wait_clicks(code, 1)
        print(f"ok: compose up; shortened {code}, redirected, click stored by the worker")
        run(*compose, "restart", "redis")
        _wait_ready()
        assert httpx.get(f"{BASE_URL}/{code}", headers=BROWSER).status_code == 301
        _wait_clicks(code, 2)
        print("ok: Redis restarted; redirects and clicks go on")
        return 0
    finally:
        run(*compose, "down", "-v", "-t", "30", check=False)


def _wait_ready() -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{BASE_URL}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("the web service never became ready")


def _wait_clicks(code: str, clicks: int) -> None:
    deadline = time.monotonic() + 60
    url = f"{BASE_URL}/analytics"
    while httpx.get(url, params={"short_id": code}).json()["total_clicks"] != clicks:
        assert time.monotonic() < deadline, f"the worker never stored click {clicks}"
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())

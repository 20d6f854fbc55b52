"""`make container-smoke`: build the image, run it scaled, shorten, redirect, see the click, stop.

With podman (docker where podman is absent). PostgreSQL and Redis are servers of this script's
own on the host (tests/own_services.py: never the shared 5432 / 6379), reached through the
host network, so no image registry is needed for them; the web container (`serve --workers 2
--no-worker`), the worker container and the one-off migration run the image built here.

Where no registry is reachable either, build on a local base made with debootstrap
(/work/shared/container.md): `SMOKE_BASE=localhost/debian-base:bookworm make container-smoke`
(picked by itself when that image exists). The host's pip configuration and CA bundle, when
there are any, are passed as build secrets, never baked into the image.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.own_services import OwnPostgres, OwnRedis  # noqa: E402

IMAGE = "localhost/shorturl:smoke"
PORT = 18_441
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
LOCAL_BASE = "localhost/debian-base:bookworm"


def engine() -> list[str]:
    if configured := os.environ.get("CONTAINER_ENGINE"):
        return shlex.split(configured)
    if shutil.which("podman"):
        # crun fails on these VMs (rlimits, hybrid cgroups): /work/shared/container.md
        return ["podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
    return ["docker"]


def run(*args: str, check: bool = True, capture: bool = False) -> subprocess.CompletedProcess[str]:
    print("+", shlex.join(args), flush=True)
    return subprocess.run(args, check=check, text=True, capture_output=capture)


def local_base(cli: list[str]) -> str | None:
    """The base to build on: SMOKE_BASE, else the debootstrap one when it exists (no registry)."""
    base = os.environ.get("SMOKE_BASE")
    if base is None and run(*cli, "image", "exists", LOCAL_BASE, check=False).returncode == 0:
        base = LOCAL_BASE
    return base


def build(cli: list[str], image: str = IMAGE) -> None:
    base = local_base(cli)
    args = [*cli, "build", "--network", "host", "-t", image]
    if "podman" in cli[0]:
        args += ["--format", "docker"]  # OCI images drop HEALTHCHECK
    if base:
        args += ["--build-arg", f"BASE={base}"]
    for secret, path in (("pipconf", _pip_config()), ("cacert", os.environ.get("PIP_CERT"))):
        if path and Path(path).is_file():
            args += ["--secret", f"id={secret},src={path}"]
    run(*args, str(ROOT))


def _pip_config() -> str | None:
    for candidate in (os.environ.get("PIP_CONFIG_FILE"), "~/.config/pip/pip.conf", "/etc/pip.conf"):
        if candidate and Path(candidate).expanduser().is_file():
            return str(Path(candidate).expanduser())
    return None


def main() -> int:
    cli = engine()
    build(cli)
    redis, postgres = OwnRedis(), OwnPostgres()
    redis.start()
    postgres.start()
    suffix = secrets.token_hex(3)
    names = [f"shorturl-smoke-web-{suffix}", f"shorturl-smoke-worker-{suffix}"]
    env = [
        "-e", f"SHORTURL_DATABASE_URL={postgres.url}",
        "-e", f"SHORTURL_REDIS_URL={redis.url}",
        "-e", f"SHORTURL_BASE_URL=http://127.0.0.1:{PORT}",
        "-e", "SHORTURL_FETCH_METADATA=false",
        "-e", f"SHORTURL_HEALTHCHECK_PORT={PORT}",
    ]  # fmt: skip
    try:
        run(*cli, "run", "--rm", "--network", "host", *env, IMAGE, "db", "upgrade")
        run(*cli, "run", "-d", "--name", names[0], "--network", "host", *env, IMAGE,
            "serve", "--host", "127.0.0.1", "--port", str(PORT), "--workers", "2",
            "--no-worker", "--no-migrate")  # fmt: skip
        run(*cli, "run", "-d", "--name", names[1], "--network", "host", *env, IMAGE, "worker")
        base = f"http://127.0.0.1:{PORT}"
        _wait_ready(base, cli, names[0])
        created = httpx.post(f"{base}/shorten", json={"url": "https://example.com/smoke"})
        assert created.status_code == 201, created.text
        code = created.json()["short_code"]
        redirect = httpx.get(f"{base}/{code}", headers=BROWSER)
        assert redirect.status_code == 301, redirect.text
        assert redirect.headers["location"] == "https://example.com/smoke"
        deadline = time.monotonic() + 30
        while httpx.get(f"{base}/analytics", params={"short_id": code}).json()["total_clicks"] != 1:
            assert time.monotonic() < deadline, "the click was never stored by the worker"
            time.sleep(0.3)
        print(f"ok: shortened {code}, redirected, click stored by the worker container")
        if "podman" in cli[0]:
            run(*cli, "healthcheck", "run", names[0])
            print("ok: the image's HEALTHCHECK passes")
        for name in names:  # SIGTERM: both end by themselves, cleanly
            run(*cli, "stop", "-t", "30", name)
            status = run(*cli, "inspect", "-f", "{{.State.ExitCode}}", name, capture=True)
            assert status.stdout.strip() in ("0", "143"), f"{name} exited {status.stdout}"
        print("ok: both containers stopped on SIGTERM")
        return 0
    finally:
        for name in names:
            run(*cli, "rm", "-f", name, check=False, capture=True)
        redis.close()
        postgres.close()


def _wait_ready(base: str, cli: list[str], name: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    run(*cli, "logs", name, check=False)
    raise SystemExit("the web container never became ready")


if __name__ == "__main__":
    sys.exit(main())

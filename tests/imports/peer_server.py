"""A real HTTP server on 127.0.0.1 that answers as a peer's API would, from the recorded
fixture files (tests/imports/fixtures/<peer>/): the importers fetch from it over TCP."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.live_server import free_port

FIXTURES = Path(__file__).parent / "fixtures"

# (path, query) → the fixture file answering it (relative to FIXTURES), or None for 404.
Route = Callable[[str, dict[str, list[str]]], str | None]


@dataclass
class Peer:
    url: str
    seen: list[tuple[str, dict[str, list[str]]]] = field(default_factory=list)
    # Requests for which this says True get a 503 (a peer failing mid-import).
    failing: Callable[[str, dict[str, list[str]]], bool] = lambda path, query: False

    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]


@contextmanager
def peer_server(route: Route, auth: tuple[str, str]) -> Iterator[Peer]:
    """Serve `route` on a free port; requests without the header `auth` = (name, value) and
    without `?signature=value` (YOURLS) get a 401."""
    port = free_port()
    peer = Peer(f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            peer.seen.append((parts.path, query))
            name, value = auth
            if self.headers.get(name) != value and query.get("signature") != [value]:
                return self._answer(401, b'{"message": "bad key"}')
            if peer.failing(parts.path, query):
                return self._answer(503, b'{"message": "try later"}')
            fixture = route(parts.path, query)
            if fixture is None:
                return self._answer(404, b'{"message": "not found"}')
            body = (FIXTURES / fixture).read_text().replace("{base}", peer.url)
            self._answer(200, body.encode())

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield peer
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def shlink_route(path: str, query: dict[str, list[str]]) -> str | None:
    if path == "/rest/v3/short-urls":
        return f"shlink/short-urls-{query.get('page', ['1'])[0]}.json"
    if path.startswith("/rest/v3/short-urls/") and path.endswith("/visits"):
        code = path.split("/")[4]
        return f"shlink/visits-{code}.json" if code in ("abc12", "q") else None
    return None


def yourls_route(path: str, query: dict[str, list[str]]) -> str | None:
    if path == "/yourls-api.php" and query.get("action") == ["stats"]:
        return f"yourls/stats-{query.get('start', ['0'])[0]}.json"
    return None


def kutt_route(path: str, query: dict[str, list[str]]) -> str | None:
    if path == "/api/v2/links":
        return f"kutt/links-{query.get('skip', ['0'])[0]}.json"
    return None


def bitly_route(path: str, query: dict[str, list[str]]) -> str | None:
    if path == "/v4/user":
        return "bitly/user.json"
    if path == "/v4/groups/Bg1a2b3c4d/bitlinks":
        return f"bitly/bitlinks-{query.get('page', ['1'])[0]}.json"
    if path.startswith("/v4/bitlinks/bit.ly/") and path.endswith("/clicks"):
        return f"bitly/clicks-{path.split('/')[4]}.json"
    return None

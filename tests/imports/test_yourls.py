"""YOURLS: a mysqldump of its database, parsed without MySQL, and its API (a real HTTP server
answering from recorded pages), in both storage modes."""

from __future__ import annotations

import httpx

from shorturl.imports.service import ImportRequest
from shorturl.imports.sql_dump import dump_rows
from shorturl.runtime import Runtime
from tests.imports.conftest import counts, fixture, imported, link, report
from tests.imports.peer_server import peer_server, yourls_route

SIGNATURE = "0123456789abcdef"


def test_dump_rows_read_quotes_escapes_and_column_lists() -> None:
    text = (
        "CREATE TABLE `t` (\n  `a` varchar(9),\n  `b` int\n);\n"
        "INSERT INTO `t` VALUES ('x\\'y;)','1'),('it''s',NULL),('\\\\',-2.5);\n"
        "INSERT INTO `other` VALUES ('(;)');\n"
        "INSERT INTO `t` (`b`, `a`) VALUES (7,'z');\n"
    )
    assert list(dump_rows(text, {"t"})) == [
        ("t", {"a": "x'y;)", "b": "1"}),
        ("t", {"a": "it's", "b": None}),
        ("t", {"a": "\\", "b": -2.5}),
        ("t", {"b": 7, "a": "z"}),
    ]


async def test_dump_import_with_its_click_log(client: httpx.AsyncClient, runtime: Runtime) -> None:
    request = ImportRequest("yourls", data=fixture("yourls/yourls.sql"), file_name="yourls.sql")
    job = await imported(runtime, request)
    assert (job.status, job.processed) == ("done", 4)
    assert (job.created, job.clashes, job.failed) == (2, 0, 2)
    assert {item["code"]: item["kind"] for item in job.problems} == {
        "api": "invalid",  # a reserved word here
        "gone": "failed",  # not an http(s) target
    }
    one = await link(client, "1")  # YOURLS's 1-character codes are kept
    assert one["long_url"] == "https://example.org/a?x=1&y='quoted'"
    assert one["description"] == "Page A; with (parens)"
    assert one["created_at"] == "2023-05-01T08:00:00Z"
    # 5 clicks: 3 logged (1 of them Googlebot), 2 more counted than logged (on creation).
    assert one["click_count"] == 4
    assert counts(await report(client, "1")) == {
        "total": 4,
        "days": {"2023-05-01": 2, "2023-05-02": 2},
        "countries": {"FR": 1, "US": 1, None: 2},
        # what the undated clicks were is unknown
        "referrers": {"direct": 1, "t.co": 1, "unknown": 2},
        "devices": {"desktop": 1, "mobile": 1, "unknown": 2},
    }
    b = await link(client, "ab")
    assert (b["description"], b["click_count"]) == ("It's B", 1)
    assert counts(await report(client, "ab"))["referrers"] == {"reddit.com": 1}
    again = await imported(runtime, request)
    assert (again.created, again.unchanged, again.failed) == (0, 2, 2)
    assert (await link(client, "1"))["click_count"] == 4


async def test_api_import(client: httpx.AsyncClient, runtime: Runtime) -> None:
    with peer_server(yourls_route, ("X-No-Header", SIGNATURE)) as peer:
        request = ImportRequest("yourls", api_url=f"{peer.url}/yourls-api.php", api_key=SIGNATURE)
        job = await imported(runtime, request)
        again = await imported(runtime, request)
    assert (job.status, job.total, job.created) == ("done", 2, 2)
    assert (again.created, again.unchanged) == (0, 2)
    _, query = peer.seen[0]
    assert (query["action"], query["filter"], query["format"]) == (["stats"], ["last"], ["json"])
    one = await link(client, "1")
    assert (one["long_url"], one["click_count"]) == ("https://example.org/a?x=1&y='quoted'", 5)
    assert counts(await report(client, "1"))["days"] == {"2023-05-01": 5}

"""CSV export and import through API v1 (`/urls/export`, `/urls/import`) — both modes."""

from __future__ import annotations

import csv
import io

import httpx

from shorturl.links.csv_format import EXPORT_COLUMNS
from tests.conftest import MakeAccount


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_export_streams_the_callers_links_as_csv(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice, bob = await make_account("alice"), await make_account("bob")
    await client.post(
        "/api/v1/urls/bulk",
        headers=alice.headers,
        json={
            "urls": [
                {
                    "long_url": "https://example.com/a",
                    "alias": "alice-a",
                    "tags": ["x", "y"],
                    "description": 'with "quotes", commas\nand a newline',
                    "max_clicks": 5,
                },
                {"long_url": "https://example.com/b", "alias": "alice-b"},
            ]
        },
    )
    await client.post("/api/v1/urls", headers=bob.headers, json={"long_url": "https://e.com/"})
    response = await client.get("/api/v1/urls/export", headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-total-count"] == "2"
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == ",".join(EXPORT_COLUMNS)
    rows = rows_of(response.text)
    assert [row["short_code"] for row in rows] == ["alice-a", "alice-b"]
    first = rows[0]
    assert first["short_url"] == "http://localhost:8080/alice-a"
    assert first["tags"] == "x,y" and first["max_clicks"] == "5" and first["owner"] == "alice"
    assert first["description"] == 'with "quotes", commas\nand a newline'
    assert first["status"] == "active" and first["created_at"].endswith("Z")
    tagged = await client.get("/api/v1/urls/export", params={"tag": "y"}, headers=alice.headers)
    assert [row["short_code"] for row in rows_of(tagged.text)] == ["alice-a"]
    anonymous = await client.get("/api/v1/urls/export")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "UNAUTHORIZED"


async def test_an_export_imports_into_another_account_as_the_same_links(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice, bob = await make_account("alice"), await make_account("bob")
    items = [
        {"long_url": f"https://example.com/{i}", "tags": [f"t{i % 2}"], "description": f"d{i}"}
        | ({"alias": f"keep-{i}"} if i % 2 else {})
        for i in range(30)
    ]
    await client.post("/api/v1/urls/bulk", headers=alice.headers, json={"urls": items})
    await client.patch("/api/v1/urls/keep-1", headers=alice.headers, json={"status": "disabled"})
    exported = (await client.get("/api/v1/urls/export", headers=alice.headers)).text

    # The codes (random ones too) are alice's: keeping them fails each row with its number.
    kept = await client.post(
        "/api/v1/urls/import",
        headers=bob.headers | {"Content-Type": "text/csv"},
        content=exported.encode(),
    )
    assert kept.status_code == 200, kept.text
    data = kept.json()["data"]
    assert data["summary"] == {"total": 30, "created": 0, "failed": 30}
    assert {item["code"] for item in data["failed"]} == {"CUSTOM_ALIAS_TAKEN"}
    assert [item["row"] for item in data["failed"]] == list(range(1, 31))

    carol = await make_account("carol")
    renewed = await client.post(
        "/api/v1/urls/import",
        params={"keep_codes": "false"},
        headers=carol.headers,
        files={"file": ("links.csv", exported.encode(), "text/csv")},
    )
    assert renewed.json()["data"]["summary"] == {"total": 30, "created": 30, "failed": 0}
    again = (await client.get("/api/v1/urls/export", headers=carol.headers)).text

    def comparable(row: dict[str, str]) -> tuple[str, ...]:
        return (row["long_url"], row["description"], row["tags"], row["status"])

    assert sorted(map(comparable, rows_of(again))) == sorted(map(comparable, rows_of(exported)))
    assert {row["owner"] for row in rows_of(again)} == {"carol"}
    assert ("https://example.com/1", "disabled") in {
        (row["long_url"], row["status"]) for row in rows_of(again)
    }


async def test_bad_imports_are_refused_whole_or_per_row(
    client: httpx.AsyncClient, make_account: MakeAccount
) -> None:
    alice = await make_account("alice")
    headers = alice.headers | {"Content-Type": "text/csv"}

    async def send(text: str) -> httpx.Response:
        return await client.post("/api/v1/urls/import", headers=headers, content=text.encode())

    for text in ("name,tags\nx,y\n", "url\n", "\xff".encode("latin-1").decode("latin-1")):
        refused = await send(text)
        assert refused.status_code == 400, refused.text
        assert refused.json()["error"]["code"] == "VALIDATION_ERROR"
    too_many = await send("url\n" + "https://example.com/\n" * 1001)
    assert too_many.status_code == 400 and "1000" in too_many.json()["error"]["message"]
    mixed = await send(
        "url,max_clicks,alias\n"
        "https://example.com/1,3,\n"
        "not a url,,\n"
        "https://example.com/2,many,\n"
        "https://example.com/3,,ab\n"
    )
    data = mixed.json()["data"]
    assert data["summary"] == {"total": 4, "created": 1, "failed": 3}
    assert [(item["row"], item["code"]) for item in data["failed"]] == [
        (2, "INVALID_URL"),
        (3, "VALIDATION_ERROR"),
        (4, "VALIDATION_ERROR"),
    ]
    no_file = await client.post(
        "/api/v1/urls/import", headers=alice.headers, files={"other": ("x", b"url\n")}
    )
    assert no_file.status_code == 400

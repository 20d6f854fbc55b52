"""Block list files: entries, matching, and reloading when the file changes (no database)."""

from __future__ import annotations

import os
from pathlib import Path

from shorturl.safety.blocklist import SHIPPED_BLOCKLIST, BlockList, BlockListFile

LIST = """
# a comment, then blank lines

evil.example          # trailing comment
Bücher.example
*.cdn.example
bad-*.test
https://host.example/phish/
http://198.51.100.7
0.0.0.0 hosts-file.example
https://*.pattern.example/login*
not an entry at all
"""


def test_each_kind_of_entry() -> None:
    blocklist = BlockList.parse(LIST.splitlines())
    blocked = [
        "https://evil.example/",
        "http://deep.sub.evil.example/x?y=1",
        "https://xn--bcher-kva.example/",
        "https://img.cdn.example/a.png",
        "https://bad-site.test/",
        "https://host.example/phish/page.html",
        "http://host.example/phish/",
        "http://198.51.100.7/bin.sh",
        "https://198.51.100.7",
        "https://hosts-file.example/",
        "https://www.pattern.example/login.php",
    ]
    allowed = [
        "https://notevil.example/",
        "https://evil.example.com/",
        "https://cdn.example/",  # *.cdn.example: subdomains only
        "https://good-site.test/",
        "https://host.example/other",
        "http://198.51.100.70/",
        "https://www.pattern.example/about",
        "https://example.com/evil.example",
    ]
    assert [url for url in blocked if blocklist.match(url) is None] == []
    assert [url for url in allowed if blocklist.match(url) is not None] == []
    assert blocklist.match("https://a.evil.example/") == "evil.example"
    assert blocklist.entries == 8  # the line of several words is not one


def test_the_shipped_list_is_empty_and_documented() -> None:
    text = SHIPPED_BLOCKLIST.read_text()
    assert "SHORTURL_BLOCKLIST_FILE" in text
    assert BlockList.parse(text.splitlines()).entries == 0


async def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "blocklist.txt"
    path.write_text("evil.example\n")
    source = BlockListFile(path)
    assert (await source.current()).match("https://new.example/") is None
    with path.open("a") as handle:
        handle.write("new.example\n")
    assert (await source.current()).match("https://new.example/") == "new.example"
    # Rewritten to the same size within the same clock tick: the inode tells.
    replacement = tmp_path / "next.txt"
    replacement.write_text("old.example\n")
    os.replace(replacement, path)
    assert (await source.current()).match("https://old.example/") == "old.example"
    path.unlink()  # gone: the last good list stays
    assert (await source.current()).match("https://old.example/") == "old.example"

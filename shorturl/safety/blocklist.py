"""Block lists: which targets links may not point to, read from a file that may change.

A file has one entry per line (`#` starts a comment): a domain blocks itself and every
subdomain (`evil.example`), a glob matches the host (`*.cdn.example`, `bad-*.example`) or,
with a scheme, the whole URL (`https://*.example/login*`), a URL blocks every URL it is a
prefix of, http and https alike (`http://198.51.100.7/payload/`), and a hosts-file line
(`0.0.0.0 evil.example`) blocks its domain — so public lists (URLhaus, phishing domain
lists, hosts files) can be used as they are downloaded.
"""

from __future__ import annotations

import asyncio
import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import idna

from shorturl.errors import InvalidUrl
from shorturl.links.urls import normalize_long_url

__all__ = ["SHIPPED_BLOCKLIST", "BlockList", "BlockListFile"]

SHIPPED_BLOCKLIST: Final = Path(__file__).with_name("blocklist.txt")
_GLOB_CHARS: Final = frozenset("*?[")
_HOSTS_ADDRESSES: Final = frozenset({"0.0.0.0", "127.0.0.1", "::", "::1"})
_COMMENT: Final = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True)
class BlockList:
    """Parsed entries; `match(url)` says which one (if any) blocks a URL."""

    domains: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()  # "host/path…", without the scheme
    host_globs: re.Pattern[str] | None = None
    url_globs: re.Pattern[str] | None = None
    entries: int = 0

    @classmethod
    def parse(cls, lines: Iterable[str]) -> BlockList:
        domains: set[str] = set()
        prefixes: list[str] = []
        host_globs: list[str] = []
        url_globs: list[str] = []
        count = 0
        for raw in lines:
            entry = _COMMENT.sub("", raw).strip()
            if not entry:
                continue
            words = entry.split()
            if len(words) == 2 and words[0] in _HOSTS_ADDRESSES:
                entry = words[1]
            elif len(words) != 1:
                continue  # not an entry we understand
            count += 1
            if "://" in entry:
                scheme_less = entry.split("://", 1)[1]
                if _GLOB_CHARS & set(entry):
                    url_globs.append(fnmatch.translate(_lower_host(scheme_less)))
                else:
                    prefixes.append(_lower_host(_canonical(entry).split("://", 1)[1]))
            elif _GLOB_CHARS & set(entry):
                host_globs.append(fnmatch.translate(entry.lower().rstrip(".")))
            else:
                domain = _domain(entry)
                if domain:
                    domains.add(domain)
        return cls(
            domains=frozenset(domains),
            prefixes=tuple(sorted(set(prefixes))),
            host_globs=re.compile("|".join(host_globs)) if host_globs else None,
            url_globs=re.compile("|".join(url_globs)) if url_globs else None,
            entries=count,
        )

    def match(self, url: str) -> str | None:
        """The entry that blocks `url`, or None. Matched in its canonical form (links/urls.py),
        so another spelling of a blocked URL is blocked too, stored before that form or not."""
        url = _canonical(url)
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").rstrip(".")
        except ValueError:
            return None
        if self.domains:
            labels = host.split(".")
            for start in range(len(labels)):
                candidate = ".".join(labels[start:])
                if candidate in self.domains:
                    return candidate
        if self.host_globs is not None and self.host_globs.match(host):
            return f"pattern matching {host}"
        scheme_less = _lower_host(url.split("://", 1)[1]) if "://" in url else url
        for prefix in self.prefixes:
            if scheme_less.startswith(prefix) and (
                "/" in prefix or scheme_less[len(prefix) : len(prefix) + 1] in ("", "/", "?", "#")
            ):
                return prefix
        if self.url_globs is not None and self.url_globs.match(scheme_less):
            return "URL pattern"
        return None


class BlockListFile:
    """A block list kept in step with its file: `current()` re-reads the file when it has
    changed (modification time, size or inode), so edits apply without a restart. A file
    that cannot be read keeps the last good list (empty before the first)."""

    def __init__(self, path: str | os.PathLike[str] | None) -> None:
        self.path = Path(path) if path else SHIPPED_BLOCKLIST
        self._list = BlockList()
        self._stamp: tuple[int, int, int] | None = None
        self._lock = asyncio.Lock()

    async def current(self) -> BlockList:
        stamp = self._file_stamp()
        if stamp is not None and stamp != self._stamp:
            async with self._lock:
                if stamp != self._stamp:
                    self._list = await asyncio.to_thread(self._read)
                    self._stamp = stamp
        return self._list

    def _file_stamp(self) -> tuple[int, int, int] | None:
        try:
            info = self.path.stat()
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _read(self) -> BlockList:
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                return BlockList.parse(handle)
        except OSError:
            return self._list


def _domain(entry: str) -> str | None:
    host = entry.strip(".").lower()
    if not host:
        return None
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host


def _canonical(url: str) -> str:
    try:
        return normalize_long_url(url)
    except InvalidUrl:  # not a link target (an odd host, say): matched as it is
        return url


def _lower_host(scheme_less: str) -> str:
    """`Host.Example/Path` → `host.example/Path`: hosts compare without case, paths with."""
    host, slash, rest = scheme_less.partition("/")
    return host.lower().rstrip(".") + slash + rest

"""Reading a page's title, description and preview image from its HTML head."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Final
from urllib.parse import urljoin, urlsplit

__all__ = ["PageMetadata", "decode_html", "extract_metadata"]

MAX_TITLE: Final = 300
MAX_DESCRIPTION: Final = 1000
MAX_IMAGE_URL: Final = 2048
_WHITESPACE: Final = re.compile(r"\s+")
_UNSAFE_URL_CHARS: Final = re.compile(r"[\x00-\x20\x7f-\x9f\\<>\"']")
_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I
)
# Property or name → (field, rank): a lower rank wins over a higher one.
_META_FIELDS: Final = {
    "og:title": ("title", 0),
    "twitter:title": ("title", 1),
    "og:description": ("description", 0),
    "twitter:description": ("description", 1),
    "description": ("description", 2),
    "og:image": ("image", 0),
    "og:image:url": ("image", 0),
    "og:image:secure_url": ("image", 0),
    "twitter:image": ("image", 1),
    "twitter:image:src": ("image", 1),
}


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None = None
    description: str | None = None
    image: str | None = None  # absolute http(s) URL


def decode_html(body: bytes, header_charset: str | None) -> str:
    """The page as text: the HTTP charset, else a `<meta charset>` near the top, else UTF-8."""
    charset = header_charset
    if charset is None:
        found = _META_CHARSET.search(body[:4096])
        charset = found.group(1).decode("ascii") if found else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def extract_metadata(html: str, page_url: str) -> PageMetadata:
    """OpenGraph and Twitter tags first, then `<title>` and `<meta name=description>`.

    Text is unescaped and whitespace collapsed, lengths are capped, and the image is kept only
    as an absolute http(s) URL (relative ones are resolved against `page_url`)."""
    parser = _HeadParser()
    try:
        parser.feed(html)
        parser.close()
    except _HeadDone:
        pass
    found = {name: value for name, (_, value) in parser.best.items()}
    title = _clean(found.get("title") or parser.title_text(), MAX_TITLE)
    return PageMetadata(
        title=title,
        description=_clean(found.get("description"), MAX_DESCRIPTION),
        image=_image_url(found.get("image"), page_url),
    )


class _HeadDone(Exception):
    pass


class _HeadParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.best: dict[str, tuple[int, str]] = {}
        self._title: list[str] = []
        self._in_title = False
        self._title_done = False

    def title_text(self) -> str | None:
        return "".join(self._title) if self._title else None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            raise _HeadDone
        if tag == "title" and not self._title_done:
            self._in_title = True
        elif tag == "meta":
            values = {name.lower(): value or "" for name, value in attrs}
            key = (values.get("property") or values.get("name") or "").strip().lower()
            if key in _META_FIELDS and values.get("content"):
                field, rank = _META_FIELDS[key]
                if field not in self.best or rank < self.best[field][0]:
                    self.best[field] = (rank, values["content"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self._in_title:
            self._in_title, self._title_done = False, True
        elif tag == "head":
            raise _HeadDone

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)


def _clean(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = _WHITESPACE.sub(" ", text).strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _image_url(value: str | None, page_url: str) -> str | None:
    if not value:
        return None
    url = urljoin(page_url, value.strip())
    if _UNSAFE_URL_CHARS.search(url):
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > MAX_IMAGE_URL:
        return None
    return url

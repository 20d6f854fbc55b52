"""A YOURLS answer in the format asked for: json, xml, jsonp (`callback`) or simple (text)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Final
from xml.etree import ElementTree

import orjson
from fastapi.responses import Response

__all__ = ["Answer", "render"]

_CALLBACK: Final = re.compile(r"[A-Za-z0-9_$.]{1,128}")
_XML_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_HEADERS: Final = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True, slots=True)
class Answer:
    """What an action answers: the body, and its one-value form for `format=simple`."""

    body: dict[str, Any]
    simple: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on a 429

    @property
    def status(self) -> int:
        """YOURLS's rule: `statusCode`, else `errorCode`, else 200."""
        code = self.body.get("statusCode", self.body.get("errorCode", 200))
        return int(code)


def render(answer: Answer, fmt: str | None, callback: str | None) -> Response:
    """The response for `answer`; JSON unless another known format is asked for. A callback
    outside `[A-Za-z0-9_$.]` is refused (it is written into script)."""
    if fmt == "simple":
        return _response(answer, answer.simple.encode(), "text/plain; charset=utf-8")
    if fmt == "xml":
        return _response(answer, _xml(answer.body), "application/xml")
    if fmt == "jsonp":
        name = callback or "yourls_callback"
        if not _CALLBACK.fullmatch(name):
            refused = {"errorCode": "400", "message": "Invalid callback name"}
            return _response(Answer(refused), orjson.dumps(refused), "application/json")
        script = name.encode() + b"(" + orjson.dumps(answer.body) + b")"
        return _response(answer, script, "application/javascript")
    return _response(answer, orjson.dumps(answer.body), "application/json")


def _response(answer: Answer, content: bytes, media_type: str) -> Response:
    headers = {**_HEADERS, **answer.headers}
    return Response(content, status_code=answer.status, media_type=media_type, headers=headers)


def _xml(body: dict[str, Any]) -> bytes:
    root = ElementTree.Element("result")
    _fill(root, body)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _fill(element: ElementTree.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            name = key if _XML_NAME.fullmatch(key) else "item"
            _fill(ElementTree.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)

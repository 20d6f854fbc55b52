"""`ApiObject`: how a JSON object from the API becomes a typed, read-only result.

Fields are declared on dataclasses; `from_data` converts what it knows (timestamps to aware
datetimes, nested objects and lists of them) and keeps the whole JSON in `raw`, so a field a
newer server adds is still readable as an attribute (`result.some_new_field`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from typing import Any, Self, Union

from shorturl.client.errors import UnexpectedResponse

__all__ = ["ApiObject", "parse_timestamp"]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ApiObject:
    """A result object: attribute access to the fields of one JSON object of the API."""

    raw: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_data(cls, data: Any) -> Self:
        if not isinstance(data, dict):
            raise UnexpectedResponse(f"expected a JSON object for {cls.__name__}, got {data!r}")
        values = {name: _convert(hint, data.get(name)) for name, hint in _field_hints(cls).items()}
        return cls(raw=data, **values)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not declared fields: fields a newer server sends.
        raw = self.__dict__.get("raw")
        if raw is not None and not name.startswith("_") and name in raw:
            return raw[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON object as the server sent it."""
        return dict(self.raw)


def parse_timestamp(value: Any) -> datetime | None:
    """An aware datetime from the API's ISO-8601 `…Z` text (None stays None)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


_HINTS: dict[type, dict[str, Any]] = {}


def _field_hints(cls: type) -> dict[str, Any]:
    """The declared fields of a result class and their types (worked out once per class)."""
    found = _HINTS.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls)
        found = _HINTS[cls] = {
            field.name: hints[field.name]
            for field in dataclasses.fields(cls)
            if field.name != "raw"
        }
    return found


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_convert(item, element) for element in value] if isinstance(value, list) else value
    if hint is datetime:
        return parse_timestamp(value)
    if isinstance(hint, type) and issubclass(hint, ApiObject):
        return hint.from_data(value)
    return value

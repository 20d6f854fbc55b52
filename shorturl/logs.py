"""How the processes log: one line of text per record, or one JSON object (`LOG_FORMAT=json`).

JSON lines carry `time` (UTC, ISO 8601), `level`, `logger`, `message`, `process`, and
`exception` (the formatted traceback) when there is one; what a log pipeline (Loki, Cloud
Logging, ELK) indexes without a parser of its own.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["JsonFormatter", "logging_config"]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def logging_config(log_format: str, server: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `logging.config.dictConfig` dict: the service's records (and every library's that
    propagates) at INFO on stderr; with `server` (uvicorn's own config), its loggers kept and,
    in JSON, written as JSON too."""
    formatter: dict[str, Any] = (
        {"()": "shorturl.logs.JsonFormatter"} if log_format == "json" else {"format": TEXT_FORMAT}
    )
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        **(server or {}),
        "root": {"handlers": ["app"], "level": "INFO"},
    }
    formatters = dict(config.get("formatters", {}))
    if log_format == "json":
        formatters = dict.fromkeys(formatters, formatter)  # the server's records too
    config["formatters"] = {**formatters, "app": formatter}
    config["handlers"] = {
        **config.get("handlers", {}),
        "app": {"class": "logging.StreamHandler", "formatter": "app", "stream": "ext://sys.stderr"},
    }
    return config

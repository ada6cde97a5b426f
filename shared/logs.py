"""Structured JSON logs, one object a line, carrying the correlation id."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import sys
from datetime import UTC, datetime

current_correlation: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)


@contextlib.contextmanager
def correlation(correlation_id):
    token = current_correlation.set(str(correlation_id) if correlation_id else None)
    try:
        yield
    finally:
        current_correlation.reset(token)


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        cid = current_correlation.get()
        if cid:
            entry["correlation_id"] = cid
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(service: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries(root.level)


def quiet_libraries(level: int) -> None:
    """What the libraries may say, whatever LOG_LEVEL asks of our own code."""
    # kafka-python logs every failed reconnect as an error; our own loops say
    # once, as a warning, what is down and that they retry.
    logging.getLogger("kafka").setLevel(
        logging.CRITICAL if level > logging.DEBUG else logging.DEBUG
    )
    logging.getLogger("waitress").setLevel(max(logging.WARNING, level))
    # its lines carry full URLs and paths: hosts' secret calendar addresses
    logging.getLogger("urllib3").setLevel(max(logging.WARNING, level))

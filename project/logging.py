"""A JSON log formatter: one object per line, for log shippers in production."""

import json
import logging
from datetime import UTC, datetime
from typing import Any

# Attributes every LogRecord has; anything else on a record came from `extra=` and is
# written as a field of its own. uvicorn adds `color_message`, the message with ANSI colours.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", logging.INFO, "", 0, "", None, None).__dict__
) | {"message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    """Format a record as `{"time", "level", "logger", "message", "process", ...extra}`.

    Values that JSON cannot hold are written with `str()`, so a log call never fails
    because of what it was given.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


# uvicorn's (and the websockets library's, which uvicorn hands the same logger) records for
# every WebSocket that opens, is accepted or closes. The consumer logs `ws.connect` and
# `ws.disconnect` with the user; these add three JSON lines per socket, about 4% of a
# worker's CPU in a reconnect storm of a thousand sockets, and say nothing more.
_WEBSOCKET_CHATTER = frozenset({"connection open", "connection closed"})
_ACCEPTED = '%s - "WebSocket %s" [accepted]'


class DropWebSocketChatter(logging.Filter):
    """Drops uvicorn's per-connection WebSocket records; refusals and errors stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.msg in _WEBSOCKET_CHATTER or record.msg == _ACCEPTED)

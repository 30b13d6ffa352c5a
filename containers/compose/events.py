"""Parse the lines that `docker compose --progress json` prints into event dicts.

Docker Compose v2.40 prints four kinds of JSON line on stderr:

- resource progress: `{"id": "Container web-1", "status": "Started", ...}`, with
  optional `text`, `parent_id`, `current`, `total` and `percent`;
- the command's final error: `{"error": true, "message": "..."}`;
- log records: `{"level": "warning", "msg": "..."}`;
- BuildKit solve status during builds: `{"vertexes": [...], "statuses": [...],
  "logs": [...]}`.

Any other line, on stdout or stderr, becomes a plain text event.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypedDict


class ProgressEvent(TypedDict):
    """One line of compose output.

    ``resource`` is compose's id such as "Container demo-web-1" ("" if none).
    ``error`` marks a line that reports a failure. ``current`` and ``total`` are
    byte or step counts when compose reports them, else None.
    """

    stream: str
    resource: str
    status: str
    text: str
    error: bool
    current: int | None
    total: int | None


_ERROR_LEVELS = {"error", "fatal", "panic"}

# Status given to compose's closing `{"error": true}` line, which compose writes
# only when the whole command fails.
COMMAND_FAILED = "Failed"


def parse_line(line: str, stream: str) -> ProgressEvent:
    """Parse one output line into a ProgressEvent; non-JSON lines become text."""
    stripped = line.strip()
    data: Any = None
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
    if not isinstance(data, dict):
        return _event(stream, text=line.rstrip("\r\n"))
    if data.get("error") is True:
        message = str(data.get("message", ""))
        return _event(stream, status=COMMAND_FAILED, text=message, error=True)
    if "level" in data and "msg" in data:
        level = str(data["level"])
        return _event(
            stream, status=level, text=str(data["msg"]), error=level in _ERROR_LEVELS
        )
    if "vertexes" in data or "statuses" in data or "logs" in data:
        return _buildkit_event(stream, data)
    if "id" in data or "status" in data:
        return _resource_event(stream, data)
    return _event(stream, text=stripped)


def _event(
    stream: str,
    *,
    resource: str = "",
    status: str = "",
    text: str = "",
    error: bool = False,
    current: int | None = None,
    total: int | None = None,
) -> ProgressEvent:
    return ProgressEvent(
        stream=stream,
        resource=resource,
        status=status,
        text=text,
        error=error,
        current=current,
        total=total,
    )


def _resource_event(stream: str, data: dict[str, Any]) -> ProgressEvent:
    status = str(data.get("status", ""))
    # NOTE: compose marks a failed resource only by putting the error text in
    # `status` ("Error response from daemon: ..."), so the flag relies on that
    # prefix, which the Docker engine puts on every API error.
    return _event(
        stream,
        resource=str(data.get("id", "")),
        status=status,
        text=str(data.get("text", "")),
        error=status.startswith("Error"),
        current=_as_int(data.get("current")),
        total=_as_int(data.get("total")),
    )


def _buildkit_event(stream: str, data: dict[str, Any]) -> ProgressEvent:
    """Summarize one BuildKit status line: the last build step it mentions."""
    vertexes = data.get("vertexes") or []
    statuses = data.get("statuses") or []
    logs = data.get("logs") or []
    if vertexes:
        vertex = vertexes[-1]
        failure = vertex.get("error")
        if failure:
            status = "Error"
        elif vertex.get("completed"):
            status = "Cached" if vertex.get("cached") else "Done"
        else:
            status = "Working"
        return _event(
            stream,
            resource=str(vertex.get("name", "")),
            status=status,
            text=str(failure or ""),
            error=bool(failure),
        )
    if logs:
        text = "".join(_decode_log(entry.get("data", "")) for entry in logs)
        return _event(stream, resource="build", status="Log", text=text.rstrip("\n"))
    status_entry = statuses[-1] if statuses else {}
    return _event(
        stream,
        resource=str(status_entry.get("id", "")),
        status="Done" if status_entry.get("completed") else "Working",
        current=_as_int(status_entry.get("current")),
        total=_as_int(status_entry.get("total")),
    )


def _decode_log(data: str) -> str:
    """Decode a BuildKit log chunk, which Go's encoder writes as base64."""
    try:
        return base64.b64decode(data).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return data


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)

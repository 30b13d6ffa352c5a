"""Docker's status text of a container ("Up 5 minutes"), moved on to the present.

The engine writes a container's status as a duration at the moment it was
listed, in the words of its `HumanDuration`. The mirror stores that text with
the time of the listing, so the page adds the time since then and writes the
duration again in the same words.
"""

import re
from datetime import datetime

STATUS = re.compile(
    r"^(?P<head>Up |(?:Exited|Restarting) \(-?\d+\) )(?P<span>.+?)(?P<ago> ago)?"
    r"(?P<tail> \([^)]*\))?$"
)
SPAN = re.compile(r"^(\d+) (second|minute|hour|day|week|month|year)s?$")
UNIT_SECONDS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
WORDED_SECONDS = {"Less than a second": 0, "About a minute": 60, "About an hour": 3600}


def status_now(status: str, listed_at: datetime | None, now: datetime) -> str:
    """Return ``status`` as the engine would write it at ``now``.

    Text that carries no duration ("Created", "Dead") is returned as it is.
    """
    match = STATUS.match(status)
    if match is None or listed_at is None:
        return status
    seconds = span_seconds(match["span"])
    if seconds is None:
        return status
    seconds += max((now - listed_at).total_seconds(), 0)
    return "".join(
        [
            match["head"],
            human_duration(seconds),
            match["ago"] or "",
            match["tail"] or "",
        ]
    )


def span_seconds(span: str) -> float | None:
    """Read a duration that the engine wrote, in seconds; None when it is not one."""
    if span in WORDED_SECONDS:
        return WORDED_SECONDS[span]
    match = SPAN.match(span)
    if match is None:
        return None
    return int(match[1]) * UNIT_SECONDS[match[2]]


def human_duration(seconds: float) -> str:
    """Write a duration in the words the engine uses for a container's status."""
    whole = int(seconds)
    if whole < 1:
        return "Less than a second"
    if whole == 1:
        return "1 second"
    if whole < 60:
        return f"{whole} seconds"
    minutes = whole // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    if hours < 24 * 7 * 2:
        return f"{hours // 24} days"
    if hours < 24 * 30 * 2:
        return f"{hours // 24 // 7} weeks"
    if hours < 24 * 365 * 2:
        return f"{hours // 24 // 30} months"
    return f"{whole // 3600 // 24 // 365} years"

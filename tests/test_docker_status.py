"""Docker's status text of a container, moved on from its listing to the present."""

from datetime import UTC, datetime, timedelta

import pytest

from containers.models.docker_status import human_duration, span_seconds, status_now

LISTED = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "later", "expected"),
    [
        ("Up Less than a second", timedelta(minutes=21), "Up 21 minutes"),
        ("Up 5 minutes (healthy)", timedelta(hours=1), "Up About an hour (healthy)"),
        ("Up 2 seconds (Paused)", timedelta(seconds=30), "Up 32 seconds (Paused)"),
        ("Exited (137) 10 seconds ago", timedelta(days=3), "Exited (137) 3 days ago"),
        ("Restarting (1) 5 seconds ago", timedelta(0), "Restarting (1) 5 seconds ago"),
        ("Created", timedelta(hours=5), "Created"),
        ("Up Forever", timedelta(hours=5), "Up Forever"),
    ],
)
def test_status_moves_on(status, later, expected):
    assert status_now(status, LISTED, LISTED + later) == expected


def test_status_without_listing_time_kept():
    assert status_now("Up 5 minutes", None, LISTED) == "Up 5 minutes"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.4, "Less than a second"),
        (1, "1 second"),
        (59, "59 seconds"),
        (61, "About a minute"),
        (59 * 60, "59 minutes"),
        (3600, "About an hour"),
        (47 * 3600, "47 hours"),
        (13 * 86400, "13 days"),
        (59 * 86400, "8 weeks"),
        (700 * 86400, "23 months"),
        (800 * 86400, "2 years"),
    ],
)
def test_human_duration_uses_engine_words(seconds, words):
    assert human_duration(seconds) == words


def test_span_read_back():
    assert span_seconds("About a minute") == 60
    assert span_seconds("3 weeks") == 3 * 7 * 86400
    assert span_seconds("soon") is None

"""After `up --wait`, Pier reads each container's health itself."""

import pytest

from containers.services.compose_actions import _check_healthy
from containers.services.jobs import JobFailed


def test_starting_service_fails_the_job():
    entries = [
        {"Service": "db", "State": "running", "Health": "healthy"},
        {"Service": "app", "State": "running", "Health": "starting"},
    ]

    with pytest.raises(JobFailed) as failure:
        _check_healthy(entries)

    assert "service app is starting" in str(failure.value)
    assert "db" not in str(failure.value)


def test_unhealthy_service_fails_the_job():
    with pytest.raises(JobFailed, match="service web is unhealthy"):
        _check_healthy([{"Name": "p-web-1", "Service": "web", "Health": "unhealthy"}])


def test_services_without_health_checks_pass():
    _check_healthy(
        [
            {"Service": "app", "State": "running", "Health": ""},
            {"Service": "db", "State": "running", "Health": "healthy"},
        ]
    )

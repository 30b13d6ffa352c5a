"""Live updates to open pages, sent through the channel layer after commit.

Groups: `host-<id>` carries mirror changes and host status, `job-<id>` a job's
log lines and progress, `app-<id>` an app's releases and state.
"""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def send_now(group: str, message: dict[str, Any]) -> None:
    """Send a message to a group at once, outside any transaction."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception:
        # A live update is best effort: the page reloads the state from the
        # database, so a failed send must not fail the work that caused it.
        logger.exception("Sending a live update to group %s failed", group)


def send_after_commit(group: str, message: dict[str, Any]) -> None:
    """Send a message to a group once the current transaction commits."""
    transaction.on_commit(lambda: send_now(group, message))


def host_group(host_id: int) -> str:
    return f"host-{host_id}"


def job_group(job_id: int) -> str:
    return f"job-{job_id}"


def app_group(app_id: int) -> str:
    return f"app-{app_id}"

"""Bulk actions on a host's containers, each behind a confirmation page.

GET shows exactly which containers the action will touch; POST carries that
list back and queues a job for it. Only operators may use them.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ..services import access, container_bulk
from ..services.container_bulk import BulkAction
from .containers import chosen_host

logger = logging.getLogger(__name__)


def _bulk(request: HttpRequest, action: BulkAction) -> HttpResponse:
    access.require_operator(request.user)
    host = chosen_host(request)
    if request.method == "POST":
        ids = [
            int(value) for value in request.POST.getlist("container") if value.isdigit()
        ]
        try:
            job = container_bulk.start(request.user, host, action, ids)
        except ValueError as error:
            logger.info("Bulk %s on host %s: %s", action.kind, host.pk, error)
            messages.error(request, str(error))
            return redirect(f"{reverse('container-list')}?host={host.pk}")
        return redirect("job-detail", job_id=job.pk)
    return render(
        request,
        "containers/confirm_bulk.html",
        {
            "host": host,
            "action": action,
            "containers": list(container_bulk.affected(request.user, host, action)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def stop_running(request: HttpRequest) -> HttpResponse:
    return _bulk(request, container_bulk.STOP_RUNNING)


@login_required
@require_http_methods(["GET", "POST"])
def remove_stopped(request: HttpRequest) -> HttpResponse:
    return _bulk(request, container_bulk.REMOVE_STOPPED)

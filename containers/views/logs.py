"""The live log page of a container and the download of its whole log."""

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render

from ..services import access, logstream


@login_required
def container_logs(request, container_id):
    container = access.container_for(request.user, container_id)
    return render(request, "containers/logs.html", {"container": container})


@login_required
def container_logs_download(request, container_id):
    container = access.container_for(request.user, container_id)
    response = StreamingHttpResponse(
        logstream.iter_all(container), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{container.name}.log"'
    return response

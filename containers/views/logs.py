"""The live log page of a container and the download of its whole log."""

import asyncio
from collections.abc import AsyncIterator, Iterator

from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import render

from ..services import access, logstream


@login_required
def container_logs(request, container_id):
    container = access.container_for(request.user, container_id)
    return render(request, "containers/logs.html", {"container": container})


async def _in_thread(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Read a blocking iterator one item at a time in a thread.

    Under ASGI, Django reads a plain generator whole before sending anything,
    so a long log would sit in memory; an async iterator streams.
    """
    while chunk := await asyncio.to_thread(next, chunks, b""):
        yield chunk


@login_required
def container_logs_download(request, container_id):
    container = access.container_for(request.user, container_id)
    response = StreamingHttpResponse(
        _in_thread(logstream.iter_all(container)),
        content_type="text/plain; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{container.name}.log"'
    return response

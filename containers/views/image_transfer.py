"""Archives in and out: import a root filesystem, load and save images, export a
container's filesystem.

Uploads become jobs that stream the stored file to the engine. Downloads are
StreamingHttpResponses over async iterators, so the ASGI server sends one chunk
at a time: Django would read a synchronous iterator whole into a list first.
"""

import logging
import re

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ..docker_client import DockerError, ObjectNotFound
from ..forms_images import ImportForm, LoadForm
from ..models import Container
from ..services import access
from ..services.images_transfer import (
    export_stream,
    keep_upload,
    save_stream,
    start_upload_job,
)
from .images import host_from_query, image_for

logger = logging.getLogger(__name__)

UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def download(stream, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(stream, content_type="application/x-tar")
    safe = UNSAFE_FILENAME.sub("_", filename).strip("_") or "archive"
    response["Content-Disposition"] = f'attachment; filename="{safe}.tar"'
    return response


def stream_failed(request: HttpRequest, error: DockerError, what: str) -> HttpResponse:
    status = 404 if isinstance(error, ObjectNotFound) else 502
    return render(
        request,
        "errors/400.html",
        {"message": f"Could not download {what}: {error}"},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def image_import(request: HttpRequest) -> HttpResponse:
    access.require_operator(request.user)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            job = start_upload_job(
                "image-import",
                f"Import {data['reference']} on {data['host'].name}",
                data["host"],
                request.user,
                archive_path=keep_upload(data["archive"]),
                reference=data["reference"],
                changes=data["changes"],
            )
            return redirect("job-detail", job_id=job.pk)
    else:
        form = ImportForm(initial={"host": host_from_query(request)})
    status = 400 if form.errors else 200
    return render(request, "images/import.html", {"form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def image_load(request: HttpRequest) -> HttpResponse:
    access.require_operator(request.user)
    if request.method == "POST":
        form = LoadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            upload = data["archive"]
            job = start_upload_job(
                "image-load",
                f"Load {upload.name} on {data['host'].name}",
                data["host"],
                request.user,
                archive_path=keep_upload(upload),
            )
            return redirect("job-detail", job_id=job.pk)
    else:
        form = LoadForm(initial={"host": host_from_query(request)})
    status = 400 if form.errors else 200
    return render(request, "images/load.html", {"form": form}, status=status)


@login_required
@require_GET
def image_save(request: HttpRequest, image_id: int) -> HttpResponse:
    """Download `docker save` of one of the image's tags, or of its id."""
    access.require_operator(request.user)
    image = image_for(image_id)
    tag = request.GET.get("tag", "")
    reference = tag if tag in image.tags else image.docker_id
    try:
        stream = save_stream(image, reference)
    except DockerError as error:
        logger.info(
            "Saving image %s on host %s failed: %s", reference, image.host_id, error
        )
        return stream_failed(request, error, f"image {reference}")
    return download(stream, reference.removeprefix("sha256:")[:40])


@login_required
@require_GET
def container_export(request: HttpRequest, container_id: int) -> HttpResponse:
    """Download a container's filesystem as a tar archive."""
    access.require_operator(request.user)
    container = get_object_or_404(
        Container.objects.select_related("host"), pk=container_id
    )
    try:
        stream = export_stream(container)
    except DockerError as error:
        logger.info(
            "Exporting container %s on host %s failed: %s",
            container.docker_id[:12],
            container.host_id,
            error,
        )
        return stream_failed(request, error, f"container {container.name}")
    return download(stream, f"{container.name}-filesystem")

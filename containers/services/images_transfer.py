"""Moving images and filesystems in and out of an engine, in chunks.

Uploads are kept on disk (Django writes big ones to temporary files) and a job
hands the open file to the engine ("image-import", "image-load"), so the
engine reads it in blocks. Downloads (`docker export`, `docker save`) are
async iterators over the engine's stream, so the web server keeps one chunk
in memory at a time and not the whole archive.
"""

import asyncio
import logging
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from ..docker_client import (
    DockerError,
    client_for,
    docker_errors,
    fresh_client,
)
from ..models import Container, DockerHost, Image, Job
from .images import LayerProgress, refresh_mirror, split_reference
from .jobs import JobFailed, JobLog, create_job, job_handler

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1024 * 1024
# Seconds the engine may take to respond once an upload is sent, because it
# unpacks the layers first. That can take minutes for images of several GB.
TRANSFER_TIMEOUT = 900


def upload_folder() -> Path:
    folder = Path(settings.PIER_BUILD_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_upload(upload) -> str:
    """Move or copy an uploaded file into Pier's upload folder; return its path.

    A file that Django already wrote to disk is moved; a small one held in
    memory is written out chunk by chunk.
    """
    safe_name = Path(upload.name).name.replace(" ", "_")
    path = upload_folder() / f"{uuid.uuid4().hex}-{safe_name}"
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        upload.file.flush()
        shutil.move(temporary(), path)
        return str(path)
    with open(path, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return str(path)


class ProgressReader:
    """A read-only file wrapper that reports how much the engine has read."""

    EVERY_SECONDS = 0.25

    def __init__(self, handle: BinaryIO, size: int, log: JobLog):
        self.handle = handle
        self.size = size
        self.log = log
        self.done = 0
        self.last_report = 0.0

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_BYTES):
            yield chunk

    def read(self, size: int = -1) -> bytes:
        chunk = self.handle.read(size)
        self.done += len(chunk)
        finished = self.done >= self.size
        if finished or time.monotonic() - self.last_report >= self.EVERY_SECONDS:
            self.last_report = time.monotonic()
            self.log.progress(upload={"current": self.done, "total": self.size})
        return chunk


def start_upload_job(kind: str, title: str, host: DockerHost, user, **params) -> Job:
    return create_job(kind, title, user=user, host=host, parameters=params)


def _archive(job: Job) -> Path:
    path = Path(job.parameters["archive_path"])
    if not path.exists():
        raise JobFailed("The uploaded archive is missing. Upload it again.")
    return path


def _import(job: Job, log: JobLog, path: Path) -> str:
    repository, tag = split_reference(job.parameters["reference"])
    changes = [line for line in job.parameters.get("changes", []) if line]
    with open(path, "rb") as handle, docker_errors(job.host):
        reader = ProgressReader(handle, path.stat().st_size, log)
        output = client_for(job.host, TRANSFER_TIMEOUT).api.import_image(
            src=reader, repository=repository, tag=tag, changes=changes or None
        )
    for line in str(output).splitlines():
        if '"error"' in line:
            raise JobFailed(f"The engine rejected the archive: {line}")
    with docker_errors(job.host):
        attrs = client_for(job.host).api.inspect_image(job.parameters["reference"])
    return attrs["Id"]


@job_handler("image-import")
def run_import(job: Job, log: JobLog) -> dict:
    path = _archive(job)
    reference = job.parameters["reference"]
    log.line(f"Importing {path.stat().st_size} bytes as {reference}")
    try:
        image_id = _import(job, log, path)
    except DockerError as error:
        logger.info("Import job %s on host %s failed: %s", job.pk, job.host_id, error)
        raise JobFailed(f"Import failed: {error}") from error
    finally:
        path.unlink(missing_ok=True)
    refresh_mirror(job.host)
    log.line(f"Imported {reference} ({image_id[:19]})")
    return {"reference": reference, "image_id": image_id}


def _load(job: Job, log: JobLog, path: Path) -> list[str]:
    loaded = []
    progress = LayerProgress(log)
    with open(path, "rb") as handle, docker_errors(job.host):
        reader = ProgressReader(handle, path.stat().st_size, log)
        api = client_for(job.host, TRANSFER_TIMEOUT).api
        for event in api.load_image(reader):
            if "error" in event:
                raise JobFailed(f"Load failed: {event['error']}")
            text = (event.get("stream") or "").strip()
            if text:
                log.line(text)
                loaded.append(text.partition(": ")[2])
            progress.update(event)
    progress.report()
    return loaded


@job_handler("image-load")
def run_load(job: Job, log: JobLog) -> dict:
    path = _archive(job)
    log.line(f"Loading {path.stat().st_size} bytes")
    try:
        loaded = _load(job, log, path)
    except DockerError as error:
        logger.info("Load job %s on host %s failed: %s", job.pk, job.host_id, error)
        raise JobFailed(f"Load failed: {error}") from error
    finally:
        path.unlink(missing_ok=True)
    if not loaded:
        raise JobFailed("The archive contained no image.")
    refresh_mirror(job.host)
    return {"loaded": loaded}


async def _async_chunks(chunks: Iterator[bytes], client) -> AsyncIterator[bytes]:
    """Read a blocking chunk iterator in a thread, one chunk at a time."""
    try:
        while True:
            chunk = await asyncio.to_thread(next, chunks, b"")
            if not chunk:
                return
            yield chunk
    finally:
        await asyncio.to_thread(client.close)


def _open_stream(host: DockerHost, call) -> AsyncIterator[bytes]:
    """Start a download on a fresh client and read its first chunk now.

    Reading the first chunk here turns a missing object or an engine error
    into DockerError before the response starts.
    """
    client = fresh_client(host)
    try:
        with docker_errors(host):
            chunks = iter(call(client.api))
            first = next(chunks, b"")
    except DockerError:
        client.close()
        raise

    async def stream() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in _async_chunks(chunks, client):
            yield chunk

    return stream()


def export_stream(container: Container) -> AsyncIterator[bytes]:
    """Stream a container's filesystem as a tar archive. Raises DockerError."""
    return _open_stream(
        container.host,
        lambda api: api.export(container.docker_id, chunk_size=CHUNK_BYTES),
    )


def save_stream(image: Image, reference: str) -> AsyncIterator[bytes]:
    """Stream `docker save` of one tag (or the image id). Raises DockerError.

    The engine responds to a save of a missing image with HTTP 500, so the
    image is inspected first to raise ObjectNotFound instead.
    """
    with docker_errors(image.host):
        client_for(image.host).api.inspect_image(reference)
    return _open_stream(
        image.host, lambda api: api.get_image(reference, chunk_size=CHUNK_BYTES)
    )

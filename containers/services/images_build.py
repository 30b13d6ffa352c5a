"""Building an image from an uploaded context archive, as a job ("image-build").

The archive is unpacked with `sources.extract_archive`, which rejects entries
that would land outside the build folder. The image is tagged only after the
engine reports a finished build, so a failed build leaves no tag behind.
"""

import logging
import os
import shutil
import uuid
from pathlib import Path, PurePosixPath

from django.conf import settings

from .. import sources
from ..docker_client import DockerError, client_for, docker_errors
from ..models import DockerHost, Job
from .envvars import InvalidEnvironment, parse
from .images import refresh_mirror, split_reference
from .jobs import JobFailed, JobLog, create_job, job_handler

logger = logging.getLogger(__name__)


class InvalidBuildInput(ValueError):
    """A build argument line or Dockerfile path is invalid."""


def parse_build_args(text: str) -> dict[str, str]:
    """Parse KEY=value lines into build arguments; raise InvalidBuildInput."""
    try:
        return parse(text)
    except InvalidEnvironment as error:
        raise InvalidBuildInput(str(error).replace("variable", "argument")) from error


def check_dockerfile_path(text: str) -> str:
    """Return a Dockerfile path relative to the context; raise InvalidBuildInput."""
    path = PurePosixPath(text.strip() or "Dockerfile")
    if path.is_absolute() or ".." in path.parts or str(path) in ("", "."):
        raise InvalidBuildInput(
            f"{text!r} is not a path inside the context. Give a relative path "
            "such as Dockerfile or docker/app.Dockerfile."
        )
    return str(path)


def start_build(host: DockerHost, user, archive_path: str, **options: str) -> Job:
    """Queue a build. `options`: tag, dockerfile, target and build_args text."""
    return create_job(
        "image-build",
        f"Build {options['tag']} on {host.name}",
        user=user,
        host=host,
        parameters={"archive_path": archive_path, **options},
    )


def _dockerfile_in(context: Path, relative: str) -> str:
    candidate = context / relative
    real_context = os.path.realpath(context)
    real = os.path.realpath(candidate)
    if not real.startswith(real_context + os.sep) or not candidate.is_file():
        raise JobFailed(f"The context has no Dockerfile at {relative}.")
    return relative


def _follow_build(stream, log: JobLog) -> str:
    """Log the build output; return the image id or raise JobFailed at the step."""
    step = ""
    image_id = ""
    for chunk in stream:
        text = (chunk.get("stream") or "").rstrip("\n")
        if text.startswith("Step "):
            step = text
        if text:
            log.line(text)
        if "error" in chunk:
            detail = str(chunk["error"]).strip()
            log.line(detail, "stderr")
            where = f" at {step}" if step else ""
            raise JobFailed(f"Build failed{where}: {detail}")
        if "ID" in (chunk.get("aux") or {}):
            image_id = chunk["aux"]["ID"]
    if not image_id:
        raise JobFailed("The build ended without producing an image.")
    return image_id


def build_image(host: DockerHost, context: Path, log: JobLog, **options) -> str:
    """Build from a context folder and tag the result; return the image id."""
    parameters = {
        "path": str(context),
        "dockerfile": _dockerfile_in(context, options["dockerfile"]),
        "buildargs": parse_build_args(options.get("build_args", "")),
        "target": options.get("target") or None,
        "rm": True,
        "forcerm": True,
        "decode": True,
    }
    log.progress(phase="building")
    with docker_errors(host):
        stream = client_for(host).api.build(**parameters)
        image_id = _follow_build(stream, log)
        repository, tag = split_reference(options["tag"])
        client_for(host).api.tag(image_id, repository, tag)
    log.line(f"Tagged {image_id[:19]} as {options['tag']}")
    return image_id


@job_handler("image-build")
def run_build(job: Job, log: JobLog) -> dict:
    options = dict(job.parameters)
    archive = Path(options.pop("archive_path"))
    folder = Path(settings.PIER_BUILD_DIR) / f"image-{job.pk}-{uuid.uuid4().hex[:8]}"
    try:
        if not archive.exists():
            raise JobFailed("The uploaded context is missing. Upload it again.")
        log.line(f"Unpacking {archive.name.partition('-')[2] or archive.name}")
        context = sources.extract_archive(archive, archive.name, folder / "context")
        image_id = build_image(job.host, Path(context), log, **options)
    except (sources.SourceError, InvalidBuildInput, DockerError) as error:
        logger.info("Build job %s on host %s failed: %s", job.pk, job.host_id, error)
        raise JobFailed(str(error)) from error
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        archive.unlink(missing_ok=True)
    refresh_mirror(job.host)
    log.progress(phase="built")
    return {"image_id": image_id, "tag": options["tag"]}

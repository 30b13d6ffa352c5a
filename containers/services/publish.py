"""Publishing an app: fetch the source, build the image, swap the container.

The running version keeps serving until the new one responds. A failed build or
start leaves it untouched, and nothing half-made stays behind: the candidate
container is removed and a failed release's image is deleted.
"""

import logging
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .. import sources
from ..docker_client import DockerError, ObjectNotFound, client_for, docker_errors
from ..models import App, Job, Release
from . import live, runtime
from .envvars import parse, secret_values
from .jobs import JobFailed, JobLog, job_handler
from .ports import PortTaken, check_port

logger = logging.getLogger(__name__)


SWAP_KINDS = ("publish", "rollback")


class AppBusy(Exception):
    """Another publish or rollback of the app is queued or running."""


def check_not_busy(app: App) -> None:
    """Raise AppBusy while a publish or rollback of the app is unfinished."""
    busy = app.jobs.filter(
        kind__in=SWAP_KINDS, state__in=[Job.QUEUED, Job.RUNNING]
    ).first()
    if busy is not None:
        raise AppBusy(
            f"{busy.title} is still {busy.state}. "
            "Wait until it finishes, then try again."
        )


def require_only_swap(job: Job) -> None:
    """Raise JobFailed if another publish or rollback of the app is running."""
    other = (
        job.app.jobs.filter(kind__in=SWAP_KINDS, state=Job.RUNNING)
        .exclude(pk=job.pk)
        .first()
    )
    if other is not None:
        raise JobFailed(f"{other.title} is running; try again once it finishes.")


def start_release(
    app: App, user, *, archive_path: str = "", reuse_image: str = ""
) -> Job:
    """Record a new release of the app and queue the job that publishes it.

    With ``reuse_image``, the release runs that image (the live version's) with
    the app's current environment, without fetching or building anything.

    Raises AppBusy while another publish or rollback of the app is unfinished,
    because two swaps at once would stop each other's containers.
    """
    from .jobs import create_job

    check_not_busy(app)
    with transaction.atomic():
        last = app.releases.order_by("-version").first()
        version = (last.version if last else 0) + 1
        release = Release.objects.create(app=app, version=version)
        job = create_job(
            "publish",
            f"Publish {app.name} v{version}",
            user=user,
            host=app.host,
            app=app,
            parameters={
                "release_id": release.pk,
                "archive_path": archive_path,
                "reuse_image": reuse_image,
            },
        )
        release.job = job
        release.save(update_fields=["job"])
    send_app_change(app, "release")
    return job


def send_app_change(app: App, what: str) -> None:
    live.send_after_commit(live.app_group(app.pk), {"type": "app.change", "what": what})


def _fetch_source(app: App, job: Job, log: JobLog, folder: Path) -> Path:
    if app.source_kind == App.GIT and _is_plain_folder(app.source_url):
        # An operator-allowed local folder that is not a Git repository is
        # copied as it is, so examples and work in progress publish directly.
        allowed = sources.validate_git_url(
            app.source_url, settings.PIER_LOCAL_SOURCE_ROOTS
        )
        local = Path(allowed.removeprefix("file://"))
        log.line(f"Copying the folder {local}")
        shutil.copytree(local, folder / "source", symlinks=True)
        context = folder / "source"
    elif app.source_kind == App.GIT:
        sources.clone_git(
            app.source_url,
            app.branch or "main",
            folder / "source",
            allowed_local_roots=settings.PIER_LOCAL_SOURCE_ROOTS,
            log=log.line,
        )
        context = folder / "source"
    else:
        archive = job.parameters.get("archive_path", "")
        if not archive or not Path(archive).exists():
            raise JobFailed("The uploaded archive is missing. Upload it again.")
        shown = uploaded_name(archive)
        log.line(f"Unpacking {shown}")
        context = Path(sources.extract_archive(archive, shown, folder / "source"))
    sources.find_dockerfile(context)
    return context


def uploaded_name(path: str) -> str:
    """Return the name the person gave an upload, without the unique prefix it got."""
    name = Path(path).name
    prefix, separator, rest = name.partition("-")
    if separator and len(prefix) == 32 and all(c in "0123456789abcdef" for c in prefix):
        return rest
    return name


def _is_plain_folder(url: str) -> bool:
    if not url.startswith("file://"):
        return False
    path = Path(url.removeprefix("file://"))
    return (
        path.is_dir() and not (path / ".git").exists() and not (path / "HEAD").exists()
    )


def _build(app: App, release: Release, context: Path, log: JobLog) -> str:
    """Build the image and tag it <app>:<version>; return the image id."""
    client = client_for(app.host)
    step = ""
    image_id = ""
    log.progress(phase="building")
    with docker_errors(app.host):
        for chunk in client.api.build(
            path=str(context),
            rm=True,
            forcerm=True,
            decode=True,
        ):
            if "stream" in chunk:
                text = chunk["stream"].rstrip("\n")
                if text.startswith("Step "):
                    step = text
                if text:
                    log.line(text)
            if "error" in chunk:
                detail = chunk["error"].strip()
                log.line(detail, "stderr")
                where = f" at {step}" if step else ""
                raise JobFailed(f"Build failed{where}: {detail}")
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
    if not image_id:
        raise JobFailed("Build finished without producing an image.")
    with docker_errors(app.host):
        client.api.tag(image_id, app.name, str(release.version))
    log.line(f"Tagged {app.name}:{release.version}")
    return image_id


@job_handler("publish")
def publish(job: Job, log: JobLog) -> dict:
    app = job.app
    release = Release.objects.get(pk=job.parameters["release_id"])
    log.secrets = secret_values(app.environment)
    require_only_swap(job)
    try:
        environment = parse(app.environment)
        check_port(app.host, app.host_port, app)
    except (ValueError, PortTaken) as error:
        _fail(release, str(error))
        raise JobFailed(str(error)) from error
    folder = (
        Path(settings.PIER_BUILD_DIR)
        / f"{app.name}-{release.version}-{uuid.uuid4().hex[:8]}"
    )
    folder.mkdir(parents=True, exist_ok=True)
    image_id = ""
    try:
        if reused := job.parameters.get("reuse_image"):
            image_ref = _reused_image(app, reused, log)
        elif app.source_kind == App.IMAGE:
            image_ref = runtime.ensure_image(app, log)
        else:
            context = _fetch_source(app, job, log, folder)
            image_id = _build(app, release, context, log)
            image_ref = f"{app.name}:{release.version}"
        release.image_tag = image_ref
        release.image_id = image_id
        release.save(update_fields=["image_tag", "image_id"])
        container_id = runtime.swap(app, release, environment, log)
    except (JobFailed, sources.SourceError, DockerError, PortTaken) as error:
        _fail(release, str(error))
        if image_id:
            runtime.remove_image_quietly(app.host, f"{app.name}:{release.version}")
        raise JobFailed(str(error)) from error
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        archive = job.parameters.get("archive_path")
        if archive:
            Path(archive).unlink(missing_ok=True)
    return {"container_id": container_id, "url": app.url, "version": release.version}


def _reused_image(app: App, reference: str, log: JobLog) -> str:
    """Check that the live version's image is still on the host; return it."""
    with docker_errors(app.host):
        try:
            client_for(app.host).api.inspect_image(reference)
        except ObjectNotFound as error:
            raise JobFailed(
                f"Image {reference} of the live version is gone from "
                f"{app.host.name}; upload the archive again."
            ) from error
    log.line(f"Running {reference}, the live version's image, with the new variables")
    return reference


def _fail(release: Release, message: str) -> None:
    release.status = Release.FAILED
    release.message = message
    release.save(update_fields=["status", "message"])
    send_app_change(release.app, "release")

"""Image references, pull, push and tag, with per-layer progress.

Pull and push run as jobs ("image-pull", "image-push"). Credentials come from
the stored `Registry` whose URL is the registry host of the reference. They go
to the engine as `auth_config` and are masked in the job's log.
"""

import logging
import re
import time

from ..docker_client import DockerError, client_for, docker_errors
from ..models import DockerHost, Image, Job, Registry
from . import registries, sync
from .jobs import JobFailed, JobLog, create_job, job_handler

logger = logging.getLogger(__name__)

# The reference grammar of Docker's distribution library: [domain/]path[:tag][@digest]
_ALNUM = r"[a-z0-9]+"
_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(
    rf"^(?P<name>(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
)
MAX_NAME_LENGTH = 255
DONE_STATUSES = {
    "Pull complete",
    "Already exists",
    "Download complete",
    "Pushed",
    "Layer already exists",
    "Mounted from",
}


class InvalidReference(ValueError):
    """An image reference does not follow Docker's grammar."""


def validate_reference(text: str, *, allow_digest: bool = True) -> str:
    """Return the reference without surrounding space; raise InvalidReference."""
    reference = text.strip()
    match = REFERENCE.match(reference)
    if not reference or match is None:
        raise InvalidReference(
            f"{reference[:100]!r} is not a valid image reference. Use "
            "[registry/]name[:tag] with lowercase names, for example busybox:1.36 "
            "or registry.example.com:5000/team/app:2."
        )
    if len(match["name"]) > MAX_NAME_LENGTH:
        raise InvalidReference(
            f"The image name is longer than {MAX_NAME_LENGTH} characters."
        )
    if match["digest"] and not allow_digest:
        raise InvalidReference("Give a tag here, not a digest (@sha256:...).")
    return reference


def split_reference(reference: str) -> tuple[str, str]:
    """Split "repo[:tag]" into repository and tag, ignoring a registry's port."""
    name, _, digest = reference.partition("@")
    if digest:
        return name, f"@{digest}"
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
        return repository, tag
    return name, "latest"


def with_registry(reference: str, registry: Registry) -> str:
    """Put a registry host in front of a reference that names none."""
    if registries.explicit_host(reference):
        return reference
    return f"{registry.url.strip()}/{reference}"


class LayerProgress:
    """Per-layer progress of a pull, push or load, reported to the job throttled.

    Finished layers report current == total, so their bars show as full.
    """

    EVERY_SECONDS = 0.25

    def __init__(self, log: JobLog):
        self.log = log
        self.layers: dict[str, dict] = {}
        self.last_report = 0.0

    def update(self, event: dict) -> bool:
        """Record a layer event; return False when the event names no layer."""
        layer = event.get("id")
        status = event.get("status") or ""
        if not layer or not status or status.startswith("Pulling from"):
            return False
        detail = event.get("progressDetail") or {}
        known = self.layers.get(layer, {})
        total = detail.get("total") or known.get("total", 0)
        current = detail.get("current", 0)
        if status.startswith(tuple(DONE_STATUSES)):
            total = total or 1
            current = total
        self.layers[layer] = {"status": status, "current": current, "total": total}
        if time.monotonic() - self.last_report >= self.EVERY_SECONDS:
            self.report()
        return True

    def report(self) -> None:
        self.last_report = time.monotonic()
        if self.layers:
            self.log.progress(layers=self.layers)


def _credentials(reference: str, log: JobLog) -> tuple[Registry | None, dict | None]:
    host = registries.registry_host(reference)
    registry = registries.find_registry(host)
    auth = registries.auth_config(registry)
    if auth and len(auth["password"]) >= 3:
        log.secrets.append(auth["password"])
    return registry, auth


def _failure(reference: str, detail: str, registry: Registry | None) -> JobFailed:
    if registries.is_auth_error(detail):
        host = registries.registry_host(reference)
        return JobFailed(registries.login_failed_message(registry, host, detail))
    return JobFailed(detail)


def _follow(stream, reference: str, registry, log: JobLog) -> dict:
    """Read a pull or push event stream; return its last `aux` object."""
    progress = LayerProgress(log)
    aux: dict = {}
    for event in stream:
        if "error" in event:
            progress.report()
            raise _failure(reference, str(event["error"]).strip(), registry)
        if "aux" in event:
            aux = event["aux"] or {}
        if not progress.update(event) and event.get("status"):
            log.line(event["status"])
    progress.report()
    return aux


def pull_image(
    host: DockerHost, reference: str, log: JobLog, auth: dict | None = None
) -> None:
    """Pull an image, reporting each layer's progress; raise JobFailed on error.

    Without `auth`, the stored registry matching the reference's host logs in.
    """
    repository, tag = split_reference(reference)
    registry = None
    if auth is None:
        registry, auth = _credentials(reference, log)
    log.line(f"Pulling {reference} on {host.name}")
    try:
        with docker_errors(host):
            stream = client_for(host).api.pull(
                repository,
                tag=None if tag.startswith("@") else tag,
                stream=True,
                decode=True,
                auth_config=auth,
            )
            _follow(stream, reference, registry, log)
    except DockerError as error:
        logger.info("Pull of %s on host %s failed: %s", reference, host.pk, error)
        raise _failure(reference, str(error), registry) from error


def push_image(host: DockerHost, reference: str, log: JobLog) -> str:
    """Push a tag with the stored credentials; return the pushed digest."""
    repository, tag = split_reference(reference)
    registry, auth = _credentials(reference, log)
    log.line(f"Pushing {reference} from {host.name}")
    try:
        with docker_errors(host):
            stream = client_for(host).api.push(
                repository, tag=tag, stream=True, decode=True, auth_config=auth
            )
            aux = _follow(stream, reference, registry, log)
    except DockerError as error:
        logger.info("Push of %s from host %s failed: %s", reference, host.pk, error)
        raise _failure(reference, str(error), registry) from error
    return str(aux.get("Digest", ""))


def tag_image(host: DockerHost, image_id: str, reference: str) -> None:
    """Give an image a new repository:tag. Raises DockerError."""
    repository, tag = split_reference(validate_reference(reference, allow_digest=False))
    with docker_errors(host):
        client_for(host).api.tag(image_id, repository, tag)
    refresh_mirror(host)


def untag_image(host: DockerHost, image_id: str, reference: str) -> None:
    """Remove one tag of an image that has others, as `docker rmi TAG` does.

    Raises InvalidReference when the tag is the image's last one, because the
    engine would then delete the image: that is the Remove image page's work.
    Raises DockerError.
    """
    with docker_errors(host):
        api = client_for(host).api
        tags = list(api.inspect_image(image_id).get("RepoTags") or [])
        if reference not in tags:
            raise InvalidReference(f"{reference} is not a tag of this image.")
        if len(tags) < 2:
            raise InvalidReference(
                f"{reference} is the image's only tag; removing it would delete the "
                "image. Use Remove image instead."
            )
        api.remove_image(reference, noprune=True)
    refresh_mirror(host)


def refresh_mirror(host: DockerHost) -> None:
    """Resync the host's images now, so the next page shows the change.

    The watcher applies the same change from Docker's events; a failure here
    only delays it, so it is logged and not raised.
    """
    try:
        sync.sync_images(host)
    except DockerError as error:
        logger.warning("Image resync of host %s failed: %s", host.pk, error)


def start_pull(host: DockerHost, user, reference: str) -> Job:
    return create_job(
        "image-pull",
        f"Pull {reference} on {host.name}",
        user=user,
        host=host,
        parameters={"reference": reference},
    )


def start_push(image: Image, user, source: str, target: str) -> Job:
    """Queue a push of `source`, tagged as `target` first when they differ."""
    return create_job(
        "image-push",
        f"Push {target} from {image.host.name}",
        user=user,
        host=image.host,
        parameters={"source": source, "target": target},
    )


@job_handler("image-pull")
def run_pull(job: Job, log: JobLog) -> dict:
    reference = job.parameters["reference"]
    pull_image(job.host, reference, log)
    refresh_mirror(job.host)
    with docker_errors(job.host):
        image_id = client_for(job.host).api.inspect_image(reference)["Id"]
    log.line(f"Pulled {reference} ({image_id[:19]})")
    return {"reference": reference, "image_id": image_id}


@job_handler("image-push")
def run_push(job: Job, log: JobLog) -> dict:
    source = job.parameters["source"]
    target = job.parameters["target"]
    if source != target:
        repository, tag = split_reference(target)
        with docker_errors(job.host):
            client_for(job.host).api.tag(source, repository, tag)
        log.line(f"Tagged {source} as {target}")
        refresh_mirror(job.host)
    digest = push_image(job.host, target, log)
    log.line(f"Pushed {target} {digest}".rstrip())
    return {"reference": target, "digest": digest}

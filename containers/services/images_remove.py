"""Removing images: plans computed from the mirror, removal checked again live.

Two modes decide which containers keep an image:

- `unused`: any container, running or stopped. Removal is never forced, so the
  engine also rejects an image that a container started using meanwhile.
- `all`: only running (or paused, restarting) containers. Removal is forced,
  so images of stopped containers go too. Those containers stay and keep
  their filesystem, but can no longer be recreated from the image.

A confirmation page shows the plan; the job ("image-remove") removes only the
images the person confirmed, after checking the engine's containers again.
"""

import logging
from dataclasses import dataclass, field

from ..docker_client import DockerError, ObjectNotFound, client_for, docker_errors
from ..models import DockerHost, Job
from .images import refresh_mirror
from .images_mirror import ImageRow, image_rows
from .jobs import JobFailed, JobLog, create_job, job_handler

logger = logging.getLogger(__name__)

UNUSED = "unused"
ALL = "all"
MODES = (UNUSED, ALL)
ACTIVE_STATES = {"running", "paused", "restarting"}


@dataclass
class RemovalPlan:
    """The images that a removal takes away and those kept for a container."""

    host: DockerHost
    mode: str
    label: str = ""
    remove: list[ImageRow] = field(default_factory=list)
    keep: list[ImageRow] = field(default_factory=list)

    @property
    def remove_ids(self) -> list[str]:
        return [row.image.docker_id for row in self.remove]


def blocks_removal(state: str, mode: str) -> bool:
    """Tell whether a container in this state keeps its image in this mode."""
    return mode == UNUSED or state in ACTIVE_STATES


def plan_removal(
    host: DockerHost, mode: str, label: str = "", only: str = ""
) -> RemovalPlan:
    """Sort the host's mirrored images into removed and kept.

    `label` ("key" or "key=value") narrows the plan to images with that label,
    `only` to one image id.
    """
    if mode not in MODES:
        raise ValueError(f"Unknown removal mode {mode!r}")
    plan = RemovalPlan(host=host, mode=mode, label=label)
    for row in image_rows(host, label):
        if only and row.image.docker_id != only:
            continue
        if any(blocks_removal(c.state, mode) for c in row.containers):
            plan.keep.append(row)
        else:
            plan.remove.append(row)
    return plan


def start_removal(plan: RemovalPlan, user, confirmed: list[str]) -> Job | None:
    """Queue removal of the confirmed images that the plan still removes."""
    image_ids = [image_id for image_id in plan.remove_ids if image_id in confirmed]
    if not image_ids:
        return None
    count = len(image_ids)
    noun = "image" if count == 1 else "images"
    qualifier = "unused " if plan.mode == UNUSED else ""
    return create_job(
        "image-remove",
        f"Remove {count} {qualifier}{noun} on {plan.host.name}",
        user=user,
        host=plan.host,
        parameters={"mode": plan.mode, "image_ids": image_ids, "label": plan.label},
    )


def _containers_now(host: DockerHost) -> dict[str, list[tuple[str, str]]]:
    """Map image ids to (name, state) of the engine's containers, read live."""
    with docker_errors(host):
        entries = client_for(host).api.containers(all=True)
    usage: dict[str, list[tuple[str, str]]] = {}
    for entry in entries:
        name = (entry.get("Names") or ["?"])[0].lstrip("/")
        users = usage.setdefault(entry.get("ImageID", ""), [])
        users.append((name, entry.get("State", "")))
    return usage


def _remove_unused(host: DockerHost, image_id: str) -> None:
    """Remove each tag, then the image, without force."""
    api = client_for(host).api
    with docker_errors(host):
        tags = [
            tag
            for tag in api.inspect_image(image_id).get("RepoTags") or []
            if tag != "<none>:<none>"
        ]
        for tag in tags:
            api.remove_image(tag)
    try:
        with docker_errors(host):
            api.remove_image(image_id)
    except ObjectNotFound:
        return


def remove_one(host: DockerHost, image_id: str, mode: str) -> None:
    """Remove one image the way the mode allows. Raises DockerError."""
    if mode == ALL:
        with docker_errors(host):
            client_for(host).api.remove_image(image_id, force=True)
    else:
        _remove_unused(host, image_id)


def _remove_checked(
    host: DockerHost, image_id: str, mode: str, usage: dict, log: JobLog
) -> str:
    """Remove one confirmed image unless a container now keeps it.

    Returns the outcome: "removed", "kept", "missing" or "failed".
    """
    short = image_id.removeprefix("sha256:")[:12]
    users = [
        f"{name} ({state})"
        for name, state in usage.get(image_id, [])
        if blocks_removal(state, mode)
    ]
    if users:
        log.line(f"Kept {short}: used by {', '.join(users)}")
        return "kept"
    try:
        remove_one(host, image_id, mode)
    except ObjectNotFound:
        log.line(f"{short} was already removed")
        return "missing"
    except DockerError as error:
        logger.info("Removing image %s on host %s failed: %s", short, host.pk, error)
        log.line(f"Could not remove {short}: {error}", "stderr")
        return "failed"
    log.line(f"Removed {short}")
    return "removed"


@job_handler("image-remove")
def run_removal(job: Job, log: JobLog) -> dict:
    mode = job.parameters["mode"]
    usage = _containers_now(job.host)
    counts = {"removed": 0, "kept": 0, "failed": 0, "missing": 0}
    for image_id in job.parameters["image_ids"]:
        counts[_remove_checked(job.host, image_id, mode, usage, log)] += 1
    refresh_mirror(job.host)
    log.line(
        "Removed {removed}, kept {kept}, failed {failed}, "
        "already gone {missing}.".format(**counts)
    )
    if counts["failed"]:
        raise JobFailed(
            f"Removing {counts['failed']} of the images failed: see the log for "
            "the engine's error on each."
        )
    return counts
